// The reply box under the thread: what is typed there, the files picked (an MMS) and the
// time to send it at (an SMS only: schedule-picker.js), kept as a draft per conversation,
// its live segment count, and Enter to send. The segment counter also serves the
// new-conversation dialog.
//
// Sending what was typed lives in replies.js, apart from the box itself: the thread header
// and the thread depend on this module (the counter follows the channel, the draft follows
// a switch), and sending depends on the thread.

import { MMS_LIMITS, filePicker } from "./attachments.js";
import { clearErrors } from "./forms.js";
import { BODY_MAX_LENGTH, byId } from "./page.js";
import { reportTyping } from "./presence.js";
import { schedulePicker } from "./schedule-picker.js";
import { characterCount, countSegments } from "./segments.js";
import { state } from "./state.js";

export const replyBox = {
  form: byId("reply-form"),
  body: byId("reply-body"),
  counter: byId("reply-counter"),
  attach: byId("reply-attach"),
  files: byId("reply-files"),
};

// The files of the reply being written (an MMS, or an internal message's files).
export const replyFiles = filePicker({
  input: replyBox.files,
  list: byId("reply-files-list"),
  summary: byId("reply-files-summary"),
  limits: MMS_LIMITS,
  onChange: () => clearErrors(replyBox.form),
});

function segmentSummary({ encoding, units, segments, capacity }, characters, maxCharacters) {
  if (characters > maxCharacters) {
    return `${characters}/${maxCharacters} characters: too long to send`;
  }
  const parts = `${segments} ${segments === 1 ? "segment" : "segments"}`;
  return `${units}/${capacity} · ${parts}${encoding === "UCS-2" ? " · Unicode" : ""}`;
}

// The time the reply is to be sent at, if the person chose one. A new time is a new
// message to the server: the send's Idempotency-Key goes with the old one.
export const replySchedule = schedulePicker({
  prefix: "reply",
  submit: replyBox.form.querySelector("button[type=submit]"),
  words: { now: "Send", later: "Send later" },
  onChange: () => {
    delete replyBox.form.dataset.sendKey;
    clearErrors(replyBox.form);
  },
});

export function updateCounter(textarea, output, sms) {
  output.hidden = !sms;
  if (!sms) {
    output.textContent = "";
    return;
  }
  const body = textarea.value;
  const count = countSegments(body);
  const characters = characterCount(body);
  output.textContent = segmentSummary(count, characters, BODY_MAX_LENGTH);
  output.classList.toggle("is-over", characters > BODY_MAX_LENGTH);
  output.classList.toggle("is-multipart", count.segments > 1);
}

// Segments only cost anything on SMS: the counter follows the open conversation's channel.
export function updateReplyCounter() {
  updateCounter(replyBox.body, replyBox.counter, state.conversation?.channel === "sms");
}

// Only an SMS can wait: an internal message is posted at once, so its box has no Schedule.
export function updateReplySchedule() {
  replySchedule.setAvailable(state.conversation?.channel !== "internal");
}

// An internal message may carry files too, within the same limits as an MMS.
export function replyLimits() {
  return state.conversation?.channel === "internal"
    ? { ...MMS_LIMITS, what: "an internal message" }
    : MMS_LIMITS;
}

export function saveDraft() {
  if (state.selectedId) {
    state.drafts.set(state.selectedId, replyBox.body.value);
    state.draftFiles.set(state.selectedId, replyFiles.files);
    state.draftSendAt.set(state.selectedId, replySchedule.sendAt);
  }
}

export function restoreDraft(id) {
  replyBox.body.value = state.drafts.get(id) ?? "";
  replyFiles.files = state.draftFiles.get(id) ?? [];
  replySchedule.restore(state.draftSendAt.get(id));
  delete replyBox.form.dataset.sendKey;
  clearErrors(replyBox.form);
}

export function setupComposer() {
  replyBox.body.addEventListener("keydown", (event) => {
    // Enter sends and Shift+Enter starts a new line; Enter that confirms an input method's
    // composition (Japanese, Chinese...) belongs to the input method.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      replyBox.form.requestSubmit();
    }
  });
  replyBox.body.addEventListener("input", updateReplyCounter);
  replyBox.body.addEventListener("input", reportTyping);
  // A message about what was typed is old news once the text changes.
  replyBox.body.addEventListener("input", () => clearErrors(replyBox.form));
  // Other words are another message: a scheduled send's Idempotency-Key goes with them.
  replyBox.body.addEventListener("input", () => delete replyBox.form.dataset.sendKey);
  replyBox.attach.addEventListener("click", () => replyBox.files.click());
}
