// The open conversation's header: who it is with, and on which channel.
//
// Separate from thread.js because the list redraws it whenever it merges a newer copy of
// the open conversation, and thread.js imports the list.

import { updateReplyCounter } from "./composer.js";
import { byId } from "./page.js";
import { channelLabel, displayContact } from "./render.js";
import { state } from "./state.js";

export const threadTitle = byId("thread-title");
const subtitle = byId("thread-subtitle");
const channel = byId("thread-channel");

export function renderThreadHeader() {
  const conversation = state.conversation;
  if (!conversation) {
    threadTitle.textContent = "Conversation";
    subtitle.textContent = "";
    channel.hidden = true;
    return;
  }
  const sms = conversation.channel === "sms";
  threadTitle.textContent = displayContact(conversation.reply_to);
  subtitle.textContent = sms
    ? `SMS from ${displayContact(conversation.own_contact)}`
    : `Internal messages as ${conversation.own_contact}`;
  channel.className = `badge badge-${conversation.channel}`;
  channel.textContent = channelLabel(conversation.channel);
  channel.hidden = false;
  updateReplyCounter();
}
