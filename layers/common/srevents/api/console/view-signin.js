// The sign-in page: both secrets are checked against the API before they are kept.
import { api } from "./api.js";
import { $, h, render } from "./dom.js";
import { clearFieldErrors, field, setFieldError } from "./forms.js";
import { keepCredentials, takeWantedRoute } from "./session.js";

export async function viewSignIn() {
  document.title = "Sign in · srevents console";
  const errorBox = h("p", { class: "form-error", id: "signin-error", role: "alert" });
  const form = h(
    "form",
    { class: "card form narrow-form", method: "post", novalidate: true, "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in"),
    h(
      "p",
      { class: "hint" },
      "Your organization's secret and your user secret (printed by ",
      h("code", {}, "make run"),
      " or by the admin command). They are kept in this browser tab only and sent only in the Authorization header.",
    ),
    field({ id: "org-secret", label: "Organization secret", type: "password", autocomplete: "off", required: true }),
    field({ id: "user-secret", label: "User secret", type: "password", autocomplete: "off", required: true }),
    errorBox,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Sign in")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    errorBox.textContent = "";
    const organization = $("#org-secret").value.trim();
    const user = $("#user-secret").value.trim();
    if (!organization) return setFieldError("org-secret", "Enter your organization secret.");
    if (!user) return setFieldError("user-secret", "Enter your user secret.");
    const button = $("button[type=submit]", form);
    button.disabled = true;
    try {
      await api("GET", "instances?pageSize=1", undefined, { creds: { organization, user }, signingIn: true });
      keepCredentials({ organization, user });
      const wanted = takeWantedRoute();
      location.hash = wanted && wanted !== "#/signin" ? wanted : "#/instances";
    } catch (error) {
      errorBox.textContent =
        error.status === 401
          ? `Sign-in failed: ${error.message}. Check both secrets.`
          : `Sign-in failed: ${error.message}`;
      $("#org-secret").focus();
    } finally {
      button.disabled = false;
    }
  });
  render(form);
  $("#org-secret").focus();
}
