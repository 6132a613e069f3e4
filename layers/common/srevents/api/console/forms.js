// Form controls: fields with a label, an optional hint and an error line beside them; a confirmation dialog.
import { $, h } from "./dom.js";

export function field({ id, label, hint, type = "text", value, required, ...rest }) {
  const describedBy = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
  return h(
    "div",
    { class: "field", id: `${id}-field` },
    h("label", { for: id }, label, required ? null : h("span", { class: "optional" }, " (optional)")),
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null,
    h("input", {
      id,
      name: id,
      type,
      value: value ?? null,
      "aria-describedby": describedBy,
      "aria-required": required ? "true" : null,
      ...rest,
    }),
    h("p", { class: "field-error", id: `${id}-error`, "aria-live": "assertive" }),
  );
}

// A labelled <select> with the same hint and error lines as `field`.
export function selectField({ id, label, hint, options, value }) {
  const describedBy = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
  return h(
    "div",
    { class: "field", id: `${id}-field` },
    h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null,
    h(
      "select",
      { id, name: id, "aria-describedby": describedBy },
      options.map(([optionValue, text]) => h("option", { value: optionValue, selected: optionValue === value ? true : null }, text)),
    ),
    h("p", { class: "field-error", id: `${id}-error`, "aria-live": "assertive" }),
  );
}

export function setFieldError(id, message) {
  const control = document.getElementById(id);
  const box = document.getElementById(`${id}-error`);
  if (box) box.textContent = message;
  if (control) {
    if (control.matches("input, textarea, select")) control.setAttribute("aria-invalid", "true");
    const details = control.closest("details");
    if (details) details.open = true;
    control.focus();
  }
}

export function clearFieldErrors(root) {
  for (const box of root.querySelectorAll(".field-error")) box.textContent = "";
  for (const control of root.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

// A modal confirmation (native <dialog>: focus is kept inside; Escape cancels).
export function confirmDialog({ title, message, confirmLabel }) {
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": "dialog-title", "aria-describedby": "dialog-message" },
      h("h2", { id: "dialog-title" }, title),
      h("p", { id: "dialog-message" }, message),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "danger", id: "dialog-confirm", onclick: () => dialog.close("confirm") }, confirmLabel),
        h("button", { type: "button", id: "dialog-cancel", onclick: () => dialog.close("cancel") }, "Cancel"),
      ),
    );
    dialog.addEventListener("close", () => {
      const confirmed = dialog.returnValue === "confirm";
      dialog.remove();
      if (opener && document.contains(opener) && !confirmed) opener.focus();
      resolve(confirmed);
    });
    document.body.append(dialog);
    dialog.showModal();
    $("#dialog-cancel", dialog).focus();
  });
}
