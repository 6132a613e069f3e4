// The create form: the fields, every resource with its default configuration, and the API's errors shown
// beside the field they are about; then the new instance's id and token, shown once.
import { api, loadDefaults } from "./api.js";
import { $, h, render } from "./dom.js";
import { clearFieldErrors, field, selectField, setFieldError } from "./forms.js";
import { notify } from "./messages.js";

const RESOURCE_LABELS = {
  candidates: "Candidates",
  jobs: "Jobs",
  users: "Users",
};
// The API names the field it refuses by its path in the body; these are the inputs that show each one.
const FIELD_TARGETS = [
  ["name", "name"],
  ["tags", "tags"],
  ["configuration.api.key", "api-key"],
  ["configuration.event.notification.callback.url", "callback-url"],
  ["configuration.event.notification.signature.key", "signature-key"],
  ["configuration.event.poller.refresh_interval", "interval"],
  ["configuration.event.vendor.type", "vendor-type"],
];

function resourceBlock(name, config, checked) {
  const id = `res-${name}`;
  return h(
    "div",
    { class: "resource" },
    h(
      "div",
      { class: "check" },
      h("input", {
        type: "checkbox",
        id,
        name: "resources",
        value: name,
        checked,
        "aria-describedby": `${id}-desc ${id}-error`,
      }),
      h("label", { for: id }, RESOURCE_LABELS[name] || name),
    ),
    h("p", { class: "hint", id: `${id}-desc` }, "Polls ", h("code", {}, config.url.split("?")[0]), " for new and updated records."),
    h(
      "details",
      { class: "json-editor" },
      h("summary", {}, `Configuration of ${name} (JSON, for experts)`),
      h("label", { for: `${id}-json`, class: "visually-hidden" }, `Configuration of ${name} as JSON`),
      h(
        "textarea",
        { id: `${id}-json`, rows: "14", spellcheck: "false", autocapitalize: "off", "aria-describedby": `${id}-error` },
        JSON.stringify(config, null, 2),
      ),
    ),
    h("p", { class: "field-error", id: `${id}-error`, "aria-live": "assertive" }),
  );
}

function errorTarget(fieldPath, resources) {
  if (!fieldPath) return null;
  const match = /^configuration\.event\.poller\.configuration\.([^.[]+)/.exec(fieldPath);
  if (match && resources.includes(match[1])) return `res-${match[1]}-json`;
  if (fieldPath.startsWith("configuration.event.poller.configuration")) return "resources";
  for (const [prefix, id] of FIELD_TARGETS) {
    if (fieldPath === prefix || fieldPath.startsWith(`${prefix}.`) || fieldPath.startsWith(`${prefix}[`)) return id;
  }
  return null;
}

function errorBoxFor(target) {
  if (target && target.startsWith("res-") && target.endsWith("-json")) return target.replace(/-json$/, "");
  return target;
}

export async function viewCreate({ isCurrent }) {
  document.title = "Create instance · srevents console";
  const defaults = await loadDefaults();
  if (!isCurrent()) return;
  const resources = Object.keys(defaults.resources);
  const formError = h("p", { class: "form-error", id: "create-error", role: "alert" });
  const interval = defaults.refreshInterval || { default: 15, min: 1, max: 1440 };
  const form = h(
    "form",
    { class: "card form", method: "post", novalidate: true, "aria-labelledby": "create-title", id: "create-form" },
    h("h1", { id: "create-title" }, "Create instance"),
    h(
      "p",
      { class: "hint" },
      "The instance polls SmartRecruiters every interval and POSTs signed notifications to your callback URL.",
    ),
    h(
      "div",
      { class: "grid" },
      field({ id: "name", label: "Name", required: true, autocomplete: "off" }),
      field({ id: "tags", label: "Tags", hint: "Comma-separated.", autocomplete: "off" }),
      field({
        id: "api-key",
        label: "SmartRecruiters API key",
        type: "password",
        autocomplete: "off",
        required: true,
        hint: "Sent once, stored encrypted, never shown again.",
      }),
      field({
        id: "callback-url",
        label: "Callback URL",
        type: "url",
        inputmode: "url",
        autocomplete: "off",
        required: true,
        hint: "Where notifications are POSTed: an https URL (http and private addresses only where the deployment allows them).",
      }),
      field({
        id: "signature-key",
        label: "Signature key",
        type: "password",
        autocomplete: "off",
        hint: "Signs every notification (HMAC-SHA256 and Standard Webhooks headers).",
      }),
      selectField({
        id: "vendor-type",
        label: "Changes arrive by",
        value: "polling",
        options: [
          ["polling", "Polling"],
          ["webhook", "Webhooks (real time), polling reconciles"],
        ],
        hint: "Webhooks: SmartRecruiters pushes candidate and job changes within seconds; the interval's polls deliver what a webhook missed.",
      }),
      field({
        id: "interval",
        label: "Interval (minutes)",
        inputmode: "numeric",
        value: String(interval.default),
        required: true,
        hint: `Minutes between polls, ${interval.min} to ${interval.max}.`,
      }),
    ),
    h(
      "fieldset",
      { class: "resources", id: "resources", tabindex: "-1", "aria-describedby": "resources-hint resources-error" },
      h("legend", {}, "Resources to poll"),
      h(
        "p",
        { class: "hint", id: "resources-hint" },
        "Each ticked resource is polled with the element's default configuration; open its JSON to change it.",
      ),
      resources.map((name) =>
        resourceBlock(name, defaults.resources[name], (defaults.defaultResources || []).includes(name)),
      ),
      h("p", { class: "field-error", id: "resources-error", "aria-live": "assertive" }),
    ),
    formError,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Create instance"),
      h("a", { class: "button", href: "#/instances" }, "Cancel"),
    ),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    formError.textContent = "";
    const poller = {};
    for (const name of resources) {
      if (!$(`#res-${name}`).checked) continue;
      try {
        poller[name] = JSON.parse($(`#res-${name}-json`).value);
      } catch (error) {
        $(`#res-${name}-error`).textContent = `The configuration of ${name} is not valid JSON: ${error.message}`;
        setFieldError(`res-${name}-json`, $(`#res-${name}-error`).textContent);
        return;
      }
    }
    const configuration = {
      "api.key": $("#api-key").value,
      "event.notification.enabled": true,
      "event.vendor.type": $("#vendor-type").value,
      "event.notification.callback.url": $("#callback-url").value.trim(),
      "event.poller.refresh_interval": $("#interval").value.trim(),
      "event.poller.configuration": poller,
    };
    const signatureKey = $("#signature-key").value;
    if (signatureKey) configuration["event.notification.signature.key"] = signatureKey;
    const tags = $("#tags")
      .value.split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    const body = { element: { key: defaults.element || "smartrecruiters" }, name: $("#name").value.trim(), tags, configuration };
    const button = $("button[type=submit]", form);
    button.disabled = true;
    try {
      const created = await api("POST", "instances", body);
      showCreated(created);
    } catch (error) {
      if (error.status === 401) return;
      const target = errorTarget(error.field, resources);
      if (target) {
        const box = errorBoxFor(target);
        $(`#${box}-error`).textContent = error.message;
        setFieldError(target, error.message);
        if (target === "resources") $("#resources input[type=checkbox]").focus();
      } else {
        formError.textContent = `The API refused the instance: ${error.message}`;
      }
    } finally {
      button.disabled = false;
    }
  });
  render(form);
}

function showCreated(instance) {
  const tokenId = "new-token";
  const panel = h(
    "section",
    { class: "card created", "aria-labelledby": "created-title" },
    h("h1", { id: "created-title", tabindex: "-1" }, "Instance created"),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Instance id"),
      h("dd", { id: "new-instance-id" }, String(instance.id)),
      h("dt", {}, "Token"),
      h("dd", {}, h("code", { id: tokenId, class: "token" }, instance.token)),
    ),
    h(
      "p",
      { class: "warning" },
      "Copy the token now: it is shown only once. Add ",
      h("code", {}, ", Element <token>"),
      " to the Authorization header to scope a call to this instance.",
    ),
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        {
          type: "button",
          onclick: async () => {
            try {
              await navigator.clipboard.writeText(instance.token);
              notify("Token copied to the clipboard.");
            } catch {
              const range = document.createRange();
              range.selectNodeContents(document.getElementById(tokenId));
              const selection = window.getSelection();
              selection.removeAllRanges();
              selection.addRange(range);
              notify("Token selected: copy it with your keyboard.");
            }
          },
        },
        "Copy token",
      ),
      h("a", { class: "button primary", href: `#/instances/${instance.id}` }, "Open instance"),
      h("a", { class: "button", href: "#/instances" }, "All instances"),
    ),
  );
  render(panel);
  notify(`Instance ${instance.id} created.`);
  $("#created-title").focus();
}
