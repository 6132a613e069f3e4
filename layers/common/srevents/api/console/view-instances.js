// The instance list: each instance's state and last polls, with enable/disable and delete on every row.
import { api } from "./api.js";
import { dash, fmtTime, intervalOf, resultBadge, stateBadges, tagList } from "./display.js";
import { h, render, row, table } from "./dom.js";
import { deleteInstance, toggleEnabled } from "./instance-actions.js";
import { announceNext, showError } from "./messages.js";
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

export async function viewInstances({ isCurrent }) {
  document.title = "Instances · srevents console";
  const instances = await api("GET", "instances");
  const pollers = await Promise.all(
    instances.map((i) => api("GET", `instances/${i.id}/poller`).catch(() => null)),
  );
  if (!isCurrent()) return;
  const headers = ["Name", "ID", "Tags", "State", "Interval", "Last poll", "Actions"];
  const rows = instances.map((instance, index) =>
    row(
      headers,
      [
        h("a", { href: `#/instances/${instance.id}` }, instance.name),
        String(instance.id),
        tagList(instance.tags),
        stateBadges(instance),
        intervalOf(instance),
        lastPolls(pollers[index]),
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
    ),
  );
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
    instances.length
      ? table("Your organization's element instances", headers, rows, { captionHidden: true })
      : h(
          "div",
          { class: "card empty" },
          h("p", {}, "No instances yet."),
          h("p", {}, h("a", { href: "#/create" }, "Create the first one"), " to start polling SmartRecruiters."),
        ),
  );
}
