// What every part of the Broadcasts page (templates/broadcasts/broadcasts.html) shares and
// nothing changes: the page's root element, the API addresses its data attributes give,
// and the toast any part may speak through. The inbox's page.js is the inbox's own.

export const root = document.getElementById("broadcasts");
export const byId = (id) => document.getElementById(id);
const withId = (template, id) => template.replace("BROADCAST_ID", encodeURIComponent(id));

export const urls = {
  broadcasts: root.dataset.broadcastsUrl,
  broadcast: (id) => withId(root.dataset.broadcastUrl, id),
  preview: root.dataset.previewUrl,
  pause: (id) => withId(root.dataset.pauseUrl, id),
  resume: (id) => withId(root.dataset.resumeUrl, id),
  cancel: (id) => withId(root.dataset.cancelUrl, id),
  labels: root.dataset.labelsUrl,
};
// What each SMS of a broadcast ends with (BROADCAST_SMS_FOOTER), "" without one.
export const SMS_FOOTER = root.dataset.smsFooter ?? "";
export const BODY_MAX_LENGTH = Number(root.dataset.bodyMaxLength);

const toast = byId("toast");
let toastTimer = null;

// The toast is a live region that stays in the page, so that screen readers announce it.
export function showToast(text) {
  clearTimeout(toastTimer);
  toast.textContent = text;
  toastTimer = setTimeout(() => {
    toast.textContent = "";
  }, 8000);
}

export function showMessage(element, text) {
  element.textContent = text;
  element.hidden = !text;
}
