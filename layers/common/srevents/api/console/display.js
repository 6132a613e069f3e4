// How the API's values look on the page: times, notification ids, status badges, an instance's facts.
import { h } from "./dom.js";

export const dash = "—";

export function fmtTime(iso) {
  if (!iso) return dash;
  const text = String(iso).replace("T", " ").replace(/\.\d+/, "").replace(/(Z|\+00:00)$/, " UTC");
  return h("time", { datetime: iso }, text);
}

// Notification ids start with their time (so they sort), which notifications of one poll share:
// the tail, a hash, is what tells them apart.
export function shortId(id) {
  return `…${String(id).slice(-12)}`;
}

export function badge(text, kind) {
  return h("span", { class: `badge badge-${kind}` }, text);
}

export function statusBadge(status) {
  const kinds = { DELIVERED: "ok", RETRYING: "warn", FAILED: "bad", GONE: "bad", PENDING: "muted", QUEUED: "warn" };
  return badge(status || "UNKNOWN", kinds[status] || "muted");
}

export function subscriptionBadge(status) {
  return badge(status || "inactive", status === "active" ? "ok" : "bad");
}

export function resultBadge(result) {
  if (!result) return badge("never polled", "muted");
  const kinds = { ok: "ok", partial: "warn", error: "bad" };
  return badge(result, kinds[result] || "muted");
}

export function intervalOf(instance) {
  const value = (instance.configuration || {})["event.poller.refresh_interval"];
  return value === undefined || value === null ? dash : `${value} min`;
}

export function stateBadges(instance) {
  return h(
    "span",
    { class: "badges" },
    instance.disabled ? badge("Disabled", "muted") : badge("Enabled", "ok"),
    instance.eventsEnabled ? null : badge("Events off", "muted"),
    instance.notificationsSuspended ? badge("Notifications suspended", "bad") : null,
    instance.pushPaused ? badge("Push paused", "warn") : null,
  );
}

export function tagList(tags) {
  if (!tags || !tags.length) return dash;
  return h(
    "ul",
    { class: "tags" },
    tags.map((tag) => h("li", { class: "tag" }, tag)),
  );
}
