// srevents console: a small single-page app over the public instances API. No build step, no libraries:
// native ES modules, each served by the API itself (api/console/__init__.py lists them), so the page's
// strict policy (script-src 'self') holds. This entry wires the pages to their routes and the header's
// controls; the modules it imports say what each part does.
// Credentials live in sessionStorage (this tab only) and travel only in the Authorization header.
// Everything the API returns is put on the page as text (textContent), never as HTML.
import { $, view } from "./dom.js";
import { announceNext } from "./messages.js";
import { startRouter } from "./router.js";
import { forgetCredentials } from "./session.js";
import { viewCreate } from "./view-create.js";
import { viewInstance } from "./view-instance.js";
import { viewInstances } from "./view-instances.js";
import { viewNotification } from "./view-notification.js";
import { viewSignIn } from "./view-signin.js";

// [hash pattern, page, the main navigation's item marked as current]
const ROUTES = [
  [/^#\/signin$/, viewSignIn, "signin"],
  [/^#\/instances$/, viewInstances, "instances"],
  [/^#\/create$/, viewCreate, "create"],
  [/^#\/instances\/(\d+)$/, viewInstance, "instances"],
  [/^#\/instances\/(\d+)\/events\/([0-9a-fA-F-]{36})$/, viewNotification, "instances"],
];

function start() {
  $("#sign-out").addEventListener("click", () => {
    forgetCredentials();
    announceNext({ text: "Signed out. The secrets were removed from this tab." });
    location.hash = "#/signin";
  });
  $("#skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    const heading = $("h1", view());
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    } else {
      $("#main").focus();
    }
  });
  startRouter(ROUTES);
}

// A module script runs after the document is parsed; the check keeps start() correct if that ever changes.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
