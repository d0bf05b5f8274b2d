// The new-conversation dialog: a first message, by SMS to a phone number or internal to a
// contact name. Once sent, the new conversation opens in the thread.

import { postJSON } from "./api.js";
import { replyBox, updateCounter } from "./composer.js";
import { personalError, setupFormDialog, showErrors, submitDialogForm } from "./forms.js";
import { applyFilter, clearSearch, loadConversations } from "./list.js";
import { clearTeamFilters } from "./list-filters.js";
import { byId, narrowScreen, showToast, urls } from "./page.js";
import { goToConversation, showSection } from "./routing.js";

const ui = {
  button: byId("new-conversation-button"),
  dialog: byId("new-conversation-dialog"),
  form: byId("new-conversation-form"),
  counter: byId("new-conversation-counter"),
};

const EMPTY_MESSAGE = "Write a message first.";

// The same test as hatch.contacts: digits and phone punctuation mean a phone number (SMS).
const PHONE_LIKE = /^\+?[\d\s().\-/]+$/;

function isPhoneLike(text) {
  return PHONE_LIKE.test(text.trim()) && /\d/.test(text);
}

export function updateNewConversationCounter() {
  const sms = isPhoneLike(ui.form.elements.namedItem("to").value);
  updateCounter(ui.form.elements.namedItem("body"), ui.counter, sms);
}

async function startConversation(event) {
  event.preventDefault();
  const form = ui.form;
  const payload = {
    to: form.elements.namedItem("to").value,
    body: form.elements.namedItem("body").value,
  };
  // Nothing to say yet: nothing is sent, and the person hears why.
  if (!payload.body.trim()) {
    showErrors(form, { message: EMPTY_MESSAGE, fields: { body: [EMPTY_MESSAGE] } });
    return;
  }
  await submitDialogForm({
    dialog: ui.dialog,
    form,
    send: (idempotencyKey) =>
      postJSON(urls.sendMessage, payload, { idempotencyKey }).catch((error) => {
        throw personalError(error);
      }),
    onSent: async (result) => {
      updateNewConversationCounter();
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
