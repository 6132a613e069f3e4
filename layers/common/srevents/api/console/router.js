// Hash routing: "#/instances/7" renders that page. Each render is a generation; a page still loading when
// the user moves on checks isCurrent() and stops, so an old response never paints over the new page.
import { $, h, render, view } from "./dom.js";
import { clearMessages, notify, showError, takeAnnouncement } from "./messages.js";
import { credentials, rememberRoute } from "./session.js";

let routes = []; // [pattern, view, nav item], given by startRouter
let generation = 0;
let timers = [];
let firstRender = true;

// The routes come from the entry module, so the views can import this module without a cycle.
export function startRouter(routeTable) {
  routes = routeTable;
  window.addEventListener("hashchange", route);
  route();
}

export function stopTimers() {
  for (const timer of timers) clearTimeout(timer);
  timers = [];
}

// A timer that belongs to the current page: leaving the page (or re-rendering it) stops it.
export function later(fn, ms) {
  const timer = setTimeout(fn, ms);
  timers.push(timer);
}

async function route() {
  const hash = location.hash || "#/instances";
  if (!hash.startsWith("#/")) return; // the skip link, not a page
  const signedIn = Boolean(credentials());
  if (!signedIn && hash !== "#/signin") {
    rememberRoute(hash);
    location.replace("#/signin");
    return;
  }
  if (signedIn && hash === "#/signin") {
    location.replace("#/instances");
    return;
  }
  const found = routes.map(([pattern, handler, nav]) => [hash.match(pattern), handler, nav]).find(([m]) => m);
  if (!found) {
    location.replace("#/instances");
    return;
  }
  const [match, handler, nav] = found;
  generation += 1;
  const mine = generation;
  stopTimers();
  clearMessages();
  const announcement = takeAnnouncement();
  if (announcement) {
    if (announcement.error) showError(announcement.error);
    else notify(announcement.text);
  }
  $("#nav").hidden = !signedIn;
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  render(h("p", { class: "loading" }, "Loading…"));
  view().setAttribute("aria-busy", "true");
  try {
    await handler({ params: match.slice(1), isCurrent: () => mine === generation });
  } catch (error) {
    if (mine !== generation) return;
    render(h("h1", { tabindex: "-1" }, "Something went wrong"));
    showError(error.message);
  } finally {
    if (mine === generation) view().removeAttribute("aria-busy");
  }
  if (mine !== generation) return;
  const heading = $("h1", view());
  if (!firstRender && heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
  firstRender = false;
}

// Render the current page again in place, keeping focus on an equivalent control.
export async function rerender(focusSelector) {
  const notice = takeAnnouncement();
  const hashNow = location.hash;
  generation += 1;
  const mine = generation;
  stopTimers();
  const found = routes.map(([pattern, handler]) => [hashNow.match(pattern), handler]).find(([m]) => m);
  if (!found) return;
  try {
    await found[1]({ params: found[0].slice(1), isCurrent: () => mine === generation });
  } catch (error) {
    showError(error.message);
    return;
  }
  if (notice) notify(notice.text);
  const target = (focusSelector && $(focusSelector, view())) || $("h1", view());
  if (target) {
    if (!target.matches("a, button, input, select, textarea")) target.setAttribute("tabindex", "-1");
    target.focus();
  }
}
