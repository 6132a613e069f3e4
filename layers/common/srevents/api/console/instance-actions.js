// What the list and an instance's page both offer: enable/disable, and delete after a confirmation.
import { api } from "./api.js";
import { confirmDialog } from "./forms.js";

// Returns whether the instance is now enabled.
export async function toggleEnabled(instance) {
  const enable = instance.disabled;
  await api(enable ? "PUT" : "DELETE", `instances/${instance.id}/enabled`);
  return enable;
}

// Returns whether it was deleted (false: the user cancelled).
export async function deleteInstance(instance) {
  const ok = await confirmDialog({
    title: "Delete instance?",
    message:
      `Delete “${instance.name}” (id ${instance.id})? Its schedule and poller state are removed at once; ` +
      "its notification log expires later. This cannot be undone.",
    confirmLabel: "Delete instance",
  });
  if (!ok) return false;
  await api("DELETE", `instances/${instance.id}`);
  return true;
}
