// Messages: a polite status line and an assertive alert, both live regions that exist from the start.
import { $ } from "./dom.js";

// A message for the page shown next ({ text } or { error }): an action that re-renders or navigates
// announces its outcome there, after the new page has cleared the old messages.
let pending = null;

export function notify(text) {
  $("#alert").textContent = "";
  $("#notice").textContent = text;
}

export function showError(text) {
  $("#notice").textContent = "";
  $("#alert").textContent = text;
}

export function clearMessages() {
  $("#notice").textContent = "";
  $("#alert").textContent = "";
}

export function announceNext(message) {
  pending = message;
}

export function takeAnnouncement() {
  const message = pending;
  pending = null;
  return message;
}
