// One notification: its status, every delivery attempt, the headers sent and the body; Retry when not delivered.
import { api } from "./api.js";
import { badge, dash, fmtTime, shortId, statusBadge } from "./display.js";
import { h, render, row } from "./dom.js";
import { announceNext, showError } from "./messages.js";
import { rerender } from "./router.js";

const ATTEMPT_HEADERS = ["#", "At", "Trigger", "Outcome", "Status code", "Latency", "Error", "Response"];

export async function viewNotification({ params, isCurrent }) {
  const [id, eventId] = params;
  const [instance, detail] = await Promise.all([
    api("GET", `instances/${id}`),
    api("GET", `instances/${id}/events/${eventId}`),
  ]);
  if (!isCurrent()) return;
  document.title = `Notification ${shortId(eventId)} · srevents console`;
  const attempts = detail.attempts || [];
  const headersSent = detail.headersSent || {};
  const retry =
    detail.status !== "DELIVERED"
      ? h(
          "button",
          {
            type: "button",
            class: "primary",
            id: "retry",
            onclick: async (event) => {
              event.currentTarget.disabled = true;
              try {
                const result = await api("POST", `instances/${id}/events/${eventId}/retry`);
                const code = result.attempt && result.attempt.statusCode;
                announceNext({
                  text: `Retried: ${result.status}${code ? ` (response ${code})` : ""}.`,
                });
                await rerender("#retry");
              } catch (error) {
                showError(error.message);
                event.currentTarget.disabled = false;
              }
            },
          },
          "Retry",
        )
      : null;
  render(
    h(
      "nav",
      { class: "crumbs", "aria-label": "Breadcrumb" },
      h("a", { href: "#/instances" }, "Instances"),
      h("span", { "aria-hidden": "true" }, " / "),
      h("a", { href: `#/instances/${id}` }, instance.name),
      h("span", { "aria-hidden": "true" }, " / "),
      h("span", { "aria-current": "page" }, `Notification ${shortId(eventId)}`),
    ),
    h(
      "div",
      { class: "page-head" },
      h("h1", { id: "notification-title" }, "Notification ", h("code", { class: "break" }, eventId)),
      h("div", { class: "toolbar" }, retry, h("a", { class: "button", href: `#/instances/${id}` }, "Back to instance")),
    ),
    h(
      "dl",
      { class: "facts inline card" },
      h("div", {}, h("dt", {}, "Status"), h("dd", { id: "notification-status" }, statusBadge(detail.status))),
      h("div", {}, h("dt", {}, "Object type"), h("dd", {}, detail.objectType || dash)),
      h("div", {}, h("dt", {}, "Events"), h("dd", {}, String(detail.eventCount ?? dash))),
      h("div", {}, h("dt", {}, "Attempts"), h("dd", {}, String(detail.attemptCount ?? attempts.length))),
      h("div", {}, h("dt", {}, "Last response"), h("dd", {}, detail.lastStatusCode ? String(detail.lastStatusCode) : dash)),
      detail.nextAttemptAt ? h("div", {}, h("dt", {}, "Next attempt"), h("dd", {}, fmtTime(detail.nextAttemptAt))) : null,
    ),
    h(
      "section",
      { class: "section", "aria-labelledby": "attempts-title" },
      h("h2", { id: "attempts-title" }, "Attempts"),
      attempts.length
        ? h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { class: "table", id: "attempts-table" },
              h("caption", { class: "visually-hidden" }, "Every delivery attempt, oldest first"),
              h("thead", {}, h("tr", {}, ATTEMPT_HEADERS.map((name) => h("th", { scope: "col" }, name)))),
              h(
                "tbody",
                {},
                attempts.map((a) =>
                  row(
                    ATTEMPT_HEADERS,
                    [
                      String(a.attempt ?? dash),
                      fmtTime(a.at),
                      a.trigger || dash,
                      a.outcome ? badge(a.outcome, { delivered: "ok", retrying: "warn" }[a.outcome] || "bad") : dash,
                      a.statusCode === undefined || a.statusCode === null ? dash : String(a.statusCode),
                      a.latencyMs === undefined ? dash : `${a.latencyMs} ms`,
                      a.error || dash,
                      a.response ? h("pre", { class: "snippet" }, a.response) : dash,
                    ],
                    { "data-outcome": a.outcome || "" },
                  ),
                ),
              ),
            ),
          )
        : h("p", { class: "empty-note" }, "Not attempted yet."),
    ),
    h(
      "section",
      { class: "section", "aria-labelledby": "headers-title" },
      h("h2", { id: "headers-title" }, "Headers sent"),
      Object.keys(headersSent).length
        ? h(
            "dl",
            { class: "headers card" },
            Object.entries(headersSent).map(([name, value]) => [h("dt", {}, name), h("dd", { class: "break" }, h("code", {}, value))]),
          )
        : h("p", { class: "empty-note" }, "None recorded."),
    ),
    h(
      "section",
      { class: "section", "aria-labelledby": "body-title" },
      h("h2", { id: "body-title" }, "Body"),
      h("pre", { class: "code", id: "notification-body", tabindex: "0", "aria-label": "Notification body (JSON)" }, JSON.stringify(detail.body, null, 2)),
    ),
  );
}
