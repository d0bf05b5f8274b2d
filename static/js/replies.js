// Sending replies: a reply shows in the thread as "pending" until Hatch answers, and one
// Hatch refused stays there with its reason, Retry and Discard; Retry also asks Hatch to
// queue again a message the provider failed. A reply with a time chosen (Schedule) is
// sent differently: the box waits for Hatch's answer, so that a refused time is said beside
// the box, the text still in it, and the stored message then shows "Scheduled".

import { postJSON } from "./api.js";
import {
  replyBox,
  replyFiles,
  replyLimits,
  replySchedule,
  updateReplyCounter,
} from "./composer.js";
import {
  clearErrors,
  formSendKey,
  personalError,
  setBusy,
  showErrors,
  temporaryId,
  tooLongSentence,
} from "./forms.js";
import { refreshConversation } from "./list.js";
import { writingNote } from "./notes.js";
import { BODY_MAX_LENGTH, showToast, urls } from "./page.js";
import { characterCount } from "./segments.js";
import { mergeMessages, outgoingOf, state } from "./state.js";
import { me } from "./team-data.js";
import { messageList, renderThread, setThreadStatus, upsertMessage } from "./thread.js";

function redrawIfOpen(conversationId, scroll = "stick") {
  if (conversationId === state.selectedId) {
    renderThread(scroll);
  }
}

function forgetReply(reply) {
  const replies = outgoingOf(reply.conversation_id).filter((item) => item !== reply);
  if (replies.length) {
    state.outgoing.set(reply.conversation_id, replies);
  } else {
    state.outgoing.delete(reply.conversation_id);
  }
}

// Send one of the page's replies (again): it shows as "pending" until Hatch answers, then
// the stored message takes its place; a refusal stays on it with the reason and a Retry.
async function deliver(reply) {
  reply.status = "pending";
  reply.error = "";
  reply.sentAt = performance.now();
  redrawIfOpen(reply.conversation_id, "bottom");
  try {
    // An SMS's "from" keeps the reply in this thread (a conversation is keyed on both
    // contacts); an internal reply has none: Hatch writes it as the signed-in person.
    const fields =
      reply.type === "internal"
        ? { to: reply.to_contact, body: reply.body }
        : { to: reply.to_contact, from: reply.from_contact, body: reply.body };
    const result = await postJSON(urls.sendMessage, sendBody(fields, reply.files), {
      idempotencyKey: reply.id,
    });
    forgetReply(reply);
    if (result.message?.conversation_id === state.selectedId) {
      state.messages = mergeMessages(state.messages, [result.message]);
      setThreadStatus("");
    }
    redrawIfOpen(reply.conversation_id);
    refreshConversation(result.conversation_id);
  } catch (error) {
    reply.status = "error";
    reply.error = personalError(error).message;
    redrawIfOpen(reply.conversation_id);
  }
}

// With files, an MMS: multipart, each file as one "media" part.
function sendBody(fields, files) {
  if (!files.length) {
    return fields;
  }
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    form.append(name, value);
  }
  for (const file of files) {
    form.append("media", file, file.name);
  }
  return form;
}

// Who an internal reply goes to: the other side of the conversation from the person
// writing (either participant may be them, whoever wrote last).
function internalRecipient(conversation) {
  const mine = (name) => name.trim().toLowerCase() === me.name.trim().toLowerCase();
  return mine(conversation.reply_to) ? conversation.own_contact : conversation.reply_to;
}

function sendReply(event) {
  event.preventDefault();
  if (writingNote()) {
    return; // a note: notes.js posts it
  }
  const conversation = state.conversation;
  const body = replyBox.body.value;
  const files = replyFiles.files;
  if (!conversation) {
    return;
  }
  clearErrors(replyBox.form);
  // Nothing to send: nothing is sent, and the person hears why beside the box.
  if (!body.trim() && !files.length) {
    showErrors(replyBox.form, { message: "Write a message or attach a file first." });
    return;
  }
  if (characterCount(body) > BODY_MAX_LENGTH) {
    showErrors(replyBox.form, { message: tooLongSentence("message", BODY_MAX_LENGTH) });
    return;
  }
  const problem = replyFiles.problem(replyLimits());
  if (problem) {
    showErrors(replyBox.form, { message: problem });
    return;
  }
  const id = conversation.conversation_id;
  if (replySchedule.sendAt) {
    scheduleReply(conversation, body, files);
    return;
  }
  const reply = {
    id: temporaryId(),
    conversation_id: id,
    to_contact:
      conversation.channel === "internal" ? internalRecipient(conversation) : conversation.reply_to,
    from_contact: conversation.channel === "internal" ? me.name : conversation.own_contact,
    sent_by: { id: me.id, name: me.name },
    body,
    direction: "outbound-api", // as the API spells it (Twilio's word)
    type: conversation.channel,
    status: "pending",
    timestamp: new Date().toISOString(),
    media: [],
    files,
    // Shown while it is on its way: names and sizes, no link yet.
    attachments: files.map((file) => ({
      filename: file.name,
      content_type: file.type,
      size: file.size,
      url: null,
    })),
    error: "",
    sentAt: performance.now(),
  };
  state.outgoing.set(id, [...outgoingOf(id), reply]);
  state.drafts.delete(id);
  state.draftFiles.delete(id);
  replyFiles.clear();
  replyBox.body.value = "";
  updateReplyCounter();
  setThreadStatus("");
  deliver(reply);
}

// A reply to send later. Nothing shows in the thread until Hatch has stored it: a time
// that passed while the person typed, or one Hatch refuses, is said beside the box with
// the text still in it. The form's Idempotency-Key makes a second press after a lost
// answer store the message once.
async function scheduleReply(conversation, body, files) {
  const form = replyBox.form;
  const id = conversation.conversation_id;
  const problem = replySchedule.problem();
  if (problem) {
    showErrors(form, { message: problem });
    return;
  }
  const when = replySchedule.whenText();
  const fields = {
    to: conversation.reply_to,
    from: conversation.own_contact,
    body,
    ...replySchedule.payload(),
  };
  setBusy(form, true);
  try {
    const result = await postJSON(urls.sendMessage, sendBody(fields, files), {
      idempotencyKey: formSendKey(form),
    });
    delete form.dataset.sendKey;
    state.drafts.delete(id);
    state.draftFiles.delete(id);
    state.draftSendAt.delete(id);
    if (state.selectedId === id) {
      replyBox.body.value = "";
      replyFiles.clear();
      replySchedule.clear();
      updateReplyCounter();
    }
    if (result.message?.conversation_id === state.selectedId) {
      state.messages = mergeMessages(state.messages, [result.message]);
      setThreadStatus("");
      redrawIfOpen(id, "bottom");
    }
    showToast(`Message scheduled for ${when}.`);
    refreshConversation(result.conversation_id, { message: result.message });
  } catch (error) {
    const refusal = personalError(error);
    if (state.selectedId === id) {
      showErrors(form, refusal);
    } else {
      showToast(`Message not scheduled: ${refusal.message}`);
    }
  } finally {
    setBusy(form, false);
  }
}

// Retry of a message the provider failed: Hatch queues it again (or says why not).
async function retryFailed(id) {
  state.notes.delete(id);
  state.retrying.add(id);
  renderThread("stick");
  try {
    const message = await postJSON(urls.retry(id));
    state.retrying.delete(id);
    upsertMessage(message);
    refreshConversation(message.conversation_id);
  } catch (error) {
    state.retrying.delete(id);
    state.notes.set(id, personalError(error).message);
    renderThread("stick");
  }
}

function onMessageAction(event) {
  const button = event.target.closest("button[data-action]");
  const item = button?.closest("[data-message-id]");
  // A scheduled message's own buttons are scheduled-edits.js's.
  if (!item || !["retry", "discard"].includes(button.dataset.action)) {
    return;
  }
  const id = item.dataset.messageId;
  const reply = outgoingOf(state.selectedId).find((candidate) => candidate.id === id);
  if (button.dataset.action === "retry") {
    if (reply) {
      deliver(reply);
    } else {
      retryFailed(id);
    }
  } else if (button.dataset.action === "discard" && reply) {
    forgetReply(reply);
    renderThread("stick");
  }
  // The button is redrawn away; the reply box is where the person goes next.
  replyBox.body.focus();
}

export function setupReplies() {
  replyBox.form.addEventListener("submit", sendReply);
  messageList.addEventListener("click", onMessageAction);
}
