// One instance: its facts, the poller state per resource, "Poll now", and its notifications, newest first.
import { api, apiPage } from "./api.js";
import { dash, fmtTime, intervalOf, resultBadge, shortId, stateBadges, statusBadge, subscriptionBadge, tagList } from "./display.js";
import { h, render, row } from "./dom.js";
import { deleteInstance, toggleEnabled } from "./instance-actions.js";
import { announceNext, notify, showError } from "./messages.js";
import { later, rerender, stopTimers } from "./router.js";

// After "Poll now", the page refreshes itself every second for 30 s: long enough for a poll and a delivery.
const PAGE = 25; // notifications a page
const REFRESH_AFTER_POLL_MS = 30000;
const REFRESH_EVERY_MS = 1000;

const POLLER_HEADERS = ["Resource", "Watermark", "Last run", "Result", "Records read", "Events", "Last error"];
const EVENTS_HEADERS = ["Notification", "Status", "Object type", "Events", "Attempts", "Last response", "Updated"];

function pollerRows(poller) {
  return poller.resources.map((r) =>
    row(
      POLLER_HEADERS,
      [
        r.resource,
        fmtTime(r.watermark),
        fmtTime(r.lastRunFinished || r.lastRunStarted),
        resultBadge(r.lastResult),
        String(r.recordsRead ?? 0),
        String(r.eventsEmitted ?? 0),
        r.lastError
          ? h("span", { class: "error-text" }, r.lastError, r.consecutiveFailures ? ` (${r.consecutiveFailures} in a row)` : "")
          : dash,
      ],
      { "data-resource": r.resource },
    ),
  );
}

// A webhook instance's subscription: its state at SmartRecruiters, and what its callbacks and the polls brought.
function subscriptionFacts(webhook) {
  if (!webhook) return [];
  const fact = (name, value, key) => h("div", { "data-fact": key }, h("dt", {}, name), h("dd", {}, value));
  return [
    fact("Subscription", subscriptionBadge(webhook.status), "status"),
    fact("Events", webhook.events.length ? webhook.events.join(", ") : dash, "events"),
    fact("Last callback", fmtTime(webhook.lastCallback), "last-callback"),
    fact("Callbacks", String(webhook.callbacks ?? 0), "callbacks"),
    fact("Events by webhook", String(webhook.webhookEvents ?? 0), "webhook-events"),
    fact("Caught by reconciliation", String(webhook.caughtByReconciliation ?? 0), "reconciled"),
    fact(
      "Failures",
      webhook.lastError
        ? h("span", { class: "error-text" }, `${webhook.consecutiveFailures} in a row: ${webhook.lastError}`)
        : String(webhook.consecutiveFailures ?? 0),
      "failures",
    ),
  ];
}

function eventRows(instanceId, events) {
  return events.map((e) =>
    row(
      EVENTS_HEADERS,
      [
        h("a", { href: `#/instances/${instanceId}/events/${e.id}`, "aria-label": `Notification ${shortId(e.id)}` }, h("code", {}, shortId(e.id))),
        statusBadge(e.status),
        e.objectType || dash,
        String(e.eventCount ?? dash),
        String(e.attemptCount ?? 0),
        e.lastStatusCode === null || e.lastStatusCode === undefined ? dash : String(e.lastStatusCode),
        fmtTime(e.updatedDate || e.createdDate),
      ],
      { "data-event": e.id, "data-status": e.status },
    ),
  );
}

export async function viewInstance({ params, isCurrent }) {
  const id = params[0];
  const [instance, poller, page] = await Promise.all([
    api("GET", `instances/${id}`),
    api("GET", `instances/${id}/poller`),
    apiPage(`instances/${id}/events?pageSize=${PAGE}`),
  ]);
  if (!isCurrent()) return;
  document.title = `${instance.name} · srevents console`;
  const config = instance.configuration || {};
  let events = page.items;
  let nextPage = page.next;

  const pollerBody = h("tbody", {}, pollerRows(poller));
  const subscription = h(
    "dl",
    { class: "facts inline card", id: "subscription", "aria-label": "Webhook subscription", hidden: poller.webhook ? null : true },
    subscriptionFacts(poller.webhook),
  );
  const eventsBody = h("tbody", {}, eventRows(id, events));
  const emptyEvents = h(
    "p",
    { class: "empty-note", id: "no-events", hidden: events.length ? true : null },
    "No notifications yet. Change something in SmartRecruiters, then press Poll now.",
  );
  const more = h("button", { type: "button", id: "more-events", hidden: nextPage ? null : true }, "Load older notifications");
  const progress = h("p", { class: "muted small", id: "poll-progress" });

  const refresh = async () => {
    const [p, first] = await Promise.all([
      api("GET", `instances/${id}/poller`),
      apiPage(`instances/${id}/events?pageSize=${PAGE}`),
    ]);
    if (!isCurrent()) return null;
    pollerBody.replaceChildren(...pollerRows(p));
    subscription.replaceChildren(...subscriptionFacts(p.webhook));
    subscription.hidden = !p.webhook;
    // Keep pages already loaded beyond the first one.
    const seen = new Set(first.items.map((e) => e.id));
    events = first.items.concat(events.slice(PAGE).filter((e) => !seen.has(e.id)));
    if (events.length <= PAGE) nextPage = first.next;
    eventsBody.replaceChildren(...eventRows(id, events));
    emptyEvents.hidden = events.length > 0;
    more.hidden = !nextPage;
    progress.textContent = p.pollInProgress ? "A poll is running…" : "";
    return { poller: p, events: first.items };
  };

  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const older = await apiPage(`instances/${id}/events?pageSize=${PAGE}&nextPage=${encodeURIComponent(nextPage)}`);
      events = events.concat(older.items);
      nextPage = older.next;
      eventsBody.append(...eventRows(id, older.items));
      more.hidden = !nextPage;
      notify(`${older.items.length} older notification(s) loaded.`);
    } catch (error) {
      showError(error.message);
    } finally {
      more.disabled = false;
    }
  });

  const pollNow = h(
    "button",
    {
      type: "button",
      class: "primary",
      id: "poll-now",
      onclick: async () => {
        pollNow.disabled = true;
        stopTimers(); // one refresh loop at a time
        try {
          await api("POST", `instances/${id}/events/poll`);
          notify("Poll requested. This page refreshes for the next 30 seconds.");
          const before = new Set(events.map((e) => e.id));
          const until = Date.now() + REFRESH_AFTER_POLL_MS;
          const tick = async () => {
            if (!isCurrent()) return;
            try {
              const result = await refresh();
              if (!result) return;
              const fresh = result.events.filter((e) => !before.has(e.id));
              if (fresh.length) {
                fresh.forEach((e) => before.add(e.id));
                notify(`${fresh.length} new notification(s).`);
              }
            } catch (error) {
              showError(error.message);
              return;
            }
            if (Date.now() < until) later(tick, REFRESH_EVERY_MS);
          };
          later(tick, 500);
        } catch (error) {
          showError(error.message);
        } finally {
          pollNow.disabled = false;
        }
      },
    },
    "Poll now",
  );

  const redeliver = h(
    "button",
    {
      type: "button",
      id: "redeliver",
      title: "Resume push and send QUEUED and FAILED notifications again, in the order they were produced",
      onclick: async () => {
        redeliver.disabled = true;
        try {
          await api("POST", `instances/${id}/events/redeliver`, { status: ["QUEUED", "FAILED"] });
          announceNext({ text: "Redelivery started: queued and failed notifications are sent again, in order." });
          await rerender("#redeliver");
        } catch (error) {
          showError(error.message);
          redeliver.disabled = false;
        }
      },
    },
    "Redeliver queued and failed",
  );

  const actions = h(
    "div",
    { class: "toolbar" },
    pollNow,
    redeliver,
    h(
      "button",
      {
        type: "button",
        id: "refresh-instance",
        onclick: async () => {
          try {
            await refresh();
            notify("Refreshed.");
          } catch (error) {
            showError(error.message);
          }
        },
      },
      "Refresh",
    ),
    h(
      "button",
      {
        type: "button",
        id: "toggle-instance",
        onclick: async () => {
          try {
            const enabled = await toggleEnabled(instance);
            announceNext({ text: `Instance ${instance.id} ${enabled ? "enabled" : "disabled"}.` });
            await rerender("#toggle-instance");
          } catch (error) {
            showError(error.message);
          }
        },
      },
      instance.disabled ? "Enable" : "Disable",
    ),
    h(
      "button",
      {
        type: "button",
        class: "danger",
        id: "delete-instance",
        onclick: async () => {
          try {
            if (await deleteInstance(instance)) {
              announceNext({ text: `Instance ${instance.id} (“${instance.name}”) deleted.` });
              location.hash = "#/instances";
            }
          } catch (error) {
            showError(error.message);
          }
        },
      },
      "Delete",
    ),
  );

  render(
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#/instances" }, "Instances"), h("span", { "aria-hidden": "true" }, " / "), h("span", { "aria-current": "page" }, instance.name)),
    h("div", { class: "page-head" }, h("h1", {}, instance.name), actions),
    h(
      "dl",
      { class: "facts inline card" },
      h("div", {}, h("dt", {}, "ID"), h("dd", {}, String(instance.id))),
      h("div", {}, h("dt", {}, "State"), h("dd", {}, stateBadges(instance))),
      h("div", {}, h("dt", {}, "Interval"), h("dd", {}, intervalOf(instance))),
      h("div", {}, h("dt", {}, "Tags"), h("dd", {}, tagList(instance.tags))),
      h("div", { class: "wide" }, h("dt", {}, "Callback URL"), h("dd", { class: "break" }, config["event.notification.callback.url"] || dash)),
      h("div", {}, h("dt", {}, "Created"), h("dd", {}, fmtTime(instance.createdDate))),
    ),
    instance.notificationsSuspendedReason
      ? h("p", { class: "warning" }, `Notifications are suspended: ${instance.notificationsSuspendedReason}`)
      : null,
    h(
      "section",
      { "aria-labelledby": "poller-title", class: "section" },
      h("h2", { id: "poller-title" }, "Poller"),
      subscription,
      progress,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "table", id: "poller-table" },
          h("caption", { class: "visually-hidden" }, "Poller state per resource"),
          h("thead", {}, h("tr", {}, POLLER_HEADERS.map((name) => h("th", { scope: "col" }, name)))),
          pollerBody,
        ),
      ),
    ),
    h(
      "section",
      { "aria-labelledby": "events-title", class: "section" },
      h("h2", { id: "events-title" }, "Notifications"),
      h("p", { class: "hint" }, "Newest first."),
      emptyEvents,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "table", id: "events-table" },
          h("caption", { class: "visually-hidden" }, "Notifications, newest first"),
          h("thead", {}, h("tr", {}, EVENTS_HEADERS.map((name) => h("th", { scope: "col" }, name)))),
          eventsBody,
        ),
      ),
      more,
    ),
  );
}
