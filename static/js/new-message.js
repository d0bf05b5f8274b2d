// The new-conversation dialog: a first message, by SMS to a phone number or internal to a
// contact name, an SMS now or at a time chosen with Schedule (schedule-picker.js; a message
// to a name is posted at once, and the control says so). Once sent, the new conversation
// opens in the thread.

import { postJSON } from "./api.js";
import { replyBox, updateCounter } from "./composer.js";
import {
  clearErrors,
  personalError,
  setupFormDialog,
  showErrors,
  submitDialogForm,
} from "./forms.js";
import { applyFilter, clearSearch, loadConversations } from "./list.js";
import { clearTeamFilters } from "./list-filters.js";
import { byId, narrowScreen, showToast, urls } from "./page.js";
import { goToConversation, showSection } from "./routing.js";
import { schedulePicker } from "./schedule-picker.js";

const ui = {
  button: byId("new-conversation-button"),
  dialog: byId("new-conversation-dialog"),
  form: byId("new-conversation-form"),
  counter: byId("new-conversation-counter"),
};

const EMPTY_MESSAGE = "Write a message first.";
const INTERNAL_NOW = "Only an SMS can be scheduled: a message to a name is posted at once.";

const schedule = schedulePicker({
  prefix: "new-conversation",
  submit: ui.form.querySelector("button[type=submit]"),
  words: { now: "Start conversation", later: "Schedule message" },
  onChange: () => {
    delete ui.form.dataset.sendKey;
    clearErrors(ui.form);
  },
});

// The same test as hatch.contacts: digits and phone punctuation mean a phone number (SMS).
const PHONE_LIKE = /^\+?[\d\s().\-/]+$/;

function isPhoneLike(text) {
  return PHONE_LIKE.test(text.trim()) && /\d/.test(text);
}

export function updateNewConversationCounter() {
  const to = ui.form.elements.namedItem("to").value;
  const sms = isPhoneLike(to);
  updateCounter(ui.form.elements.namedItem("body"), ui.counter, sms);
  schedule.setAvailable(sms || !to.trim(), { reason: INTERNAL_NOW });
}

async function startConversation(event) {
  event.preventDefault();
  const form = ui.form;
  const payload = {
    to: form.elements.namedItem("to").value,
    body: form.elements.namedItem("body").value,
    ...schedule.payload(),
  };
  // Nothing to say yet: nothing is sent, and the person hears why.
  if (!payload.body.trim()) {
    showErrors(form, { message: EMPTY_MESSAGE, fields: { body: [EMPTY_MESSAGE] } });
    return;
  }
  // The time may have passed while the message was written.
  const late = schedule.problem();
  if (late) {
    showErrors(form, { message: late });
    return;
  }
  const when = schedule.whenText();
  await submitDialogForm({
    dialog: ui.dialog,
    form,
    send: (idempotencyKey) =>
      postJSON(urls.sendMessage, payload, { idempotencyKey }).catch((error) => {
        throw personalError(error);
      }),
    onSent: async (result) => {
      schedule.clear();
      updateNewConversationCounter();
      if (result.status === "scheduled") {
        showToast(`Message scheduled for ${when}.`);
      }
      clearSearch();
      clearTeamFilters();
      applyFilter("");
      showSection("conversations");
      await loadConversations();
      await goToConversation(result.conversation_id);
      if (!narrowScreen.matches) {
        replyBox.body.focus();
      }
    },
    onClosedFailure: (error) => showToast(`Message not sent: ${error.message}`),
  });
}

export function setupNewMessage() {
  setupFormDialog({
    dialog: ui.dialog,
    button: ui.button,
    form: ui.form,
    onSubmit: startConversation,
  });
  ui.form.addEventListener("input", updateNewConversationCounter);
}
