// The instance list: each instance's state and last polls, with enable/disable and delete on every row.
import { api, apiPage } from "./api.js";
import { dash, fmtTime, intervalOf, resultBadge, stateBadges, tagList } from "./display.js";
import { h, render, row, table } from "./dom.js";
import { deleteInstance, toggleEnabled } from "./instance-actions.js";
import { announceNext, notify, showError } from "./messages.js";
import { rerender } from "./router.js";

function lastPolls(poller) {
  if (!poller) return dash;
  if (!poller.resources || !poller.resources.length) return dash;
  return h(
    "ul",
    { class: "polls" },
    poller.resources.map((r) =>
      h(
        "li",
        {},
        h("span", { class: "resource-name" }, r.resource),
        " ",
        resultBadge(r.lastResult),
        r.lastRunFinished ? h("span", { class: "muted small" }, " ", fmtTime(r.lastRunFinished)) : null,
      ),
    ),
  );
}

const HEADERS = ["Name", "ID", "Tags", "State", "Interval", "Last poll", "Actions"];
const PAGE = 50;

// A page of instances with each one's poller state (read side by side).
async function loadPage(nextPage) {
  const query = nextPage ? `&nextPage=${encodeURIComponent(nextPage)}` : "";
  const page = await apiPage(`instances?pageSize=${PAGE}${query}`);
  const pollers = await Promise.all(page.items.map((i) => api("GET", `instances/${i.id}/poller`).catch(() => null)));
  return { rows: page.items.map((instance, index) => instanceRow(instance, pollers[index])), next: page.next };
}

function instanceRow(instance, poller) {
  return row(
    HEADERS,
    [
      h("a", { href: `#/instances/${instance.id}` }, instance.name),
      String(instance.id),
      tagList(instance.tags),
      stateBadges(instance),
      intervalOf(instance),
      lastPolls(poller),
      h(
        "div",
        { class: "row-actions" },
        h(
          "button",
          {
            type: "button",
            class: "small",
            "data-toggle": instance.id,
            "aria-label": `${instance.disabled ? "Enable" : "Disable"} ${instance.name} (id ${instance.id})`,
            onclick: async (event) => {
              event.currentTarget.disabled = true;
              try {
                const enabled = await toggleEnabled(instance);
                announceNext({ text: `Instance ${instance.id} ${enabled ? "enabled" : "disabled"}.` });
                await rerender(`[data-toggle="${instance.id}"]`);
              } catch (error) {
                showError(error.message);
                event.currentTarget.disabled = false;
              }
            },
          },
          instance.disabled ? "Enable" : "Disable",
        ),
        h(
          "button",
          {
            type: "button",
            class: "small danger",
            "aria-label": `Delete ${instance.name} (id ${instance.id})`,
            onclick: async () => {
              try {
                if (await deleteInstance(instance)) {
                  announceNext({ text: `Instance ${instance.id} (“${instance.name}”) deleted.` });
                  await rerender("#refresh-instances");
                }
              } catch (error) {
                showError(error.message);
              }
            },
          },
          "Delete",
        ),
      ),
    ],
    { "data-instance": instance.id },
  );
}

export async function viewInstances({ isCurrent }) {
  document.title = "Instances · srevents console";
  const first = await loadPage(null);
  if (!isCurrent()) return;
  let nextPage = first.next;
  const more = h("button", { type: "button", id: "more-instances", hidden: nextPage ? null : true }, "Load more instances");
  const listing = table("Your organization's element instances", HEADERS, first.rows, { captionHidden: true });
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const page = await loadPage(nextPage);
      if (!isCurrent()) return;
      listing.querySelector("tbody").append(...page.rows);
      nextPage = page.next;
      more.hidden = !nextPage;
      notify(`${page.rows.length} more instance(s) loaded.`);
    } catch (error) {
      showError(error.message);
    } finally {
      more.disabled = false;
    }
  });
  render(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Instances"),
      h(
        "div",
        { class: "toolbar" },
        h("a", { class: "button primary", href: "#/create" }, "Create instance"),
        h("button", { type: "button", id: "refresh-instances", onclick: () => rerender("#refresh-instances") }, "Refresh"),
      ),
    ),
    first.rows.length
      ? h("div", {}, listing, more)
      : h(
          "div",
          { class: "card empty" },
          h("p", {}, "No instances yet."),
          h("p", {}, h("a", { href: "#/create" }, "Create the first one"), " to start polling SmartRecruiters."),
        ),
  );
}
