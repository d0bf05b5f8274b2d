// The open conversation's header: who it is with (the contact's name, the number beneath
// it), and on which channel; the contact panel follows it.
//
// Separate from thread.js because the list redraws it whenever it merges a newer copy of
// the open conversation, and thread.js imports the list.

import { updateReplyCounter, updateReplySchedule } from "./composer.js";
import { followContact } from "./contact-panel.js";
import { byId } from "./page.js";
import { channelLabel, displayContact, h, partyLabel } from "./render.js";
import { state } from "./state.js";
import { me } from "./team-data.js";
import { showTeamState } from "./team-state.js";
import { setTitle } from "./title.js";

export const threadTitle = byId("thread-title");
const subtitle = byId("thread-subtitle");
const channel = byId("thread-channel");

// Who the open conversation is with, as its header and the tab's title name them.
export function conversationName() {
  const conversation = state.conversation;
  return conversation ? partyLabel(conversation.contact, conversation.reply_to).title : "";
}

export function renderThreadHeader() {
  const conversation = state.conversation;
  if (state.section === "conversations") {
    setTitle({ name: conversationName() });
  }
  showTeamState("conversation", conversation);
  if (!conversation) {
    threadTitle.textContent = "Conversation";
    subtitle.textContent = "";
    channel.hidden = true;
    followContact(null);
    return;
  }
  const sms = conversation.channel === "sms";
  const party = partyLabel(conversation.contact, conversation.reply_to);
  threadTitle.textContent = party.title;
  const how = sms
    ? `SMS from ${displayContact(conversation.own_contact)}`
    : // Internal replies are written as the signed-in person (replies.js).
      `Internal messages as ${me.name || conversation.own_contact}`;
  // A named contact's number goes beneath the name.
  subtitle.replaceChildren(
    ...(party.detail ? [h("span", { className: "thread-number" }, party.detail), " · "] : []),
    how,
  );
  channel.className = `badge badge-${conversation.channel}`;
  channel.textContent = channelLabel(conversation.channel);
  channel.hidden = false;
  followContact(conversation.contact ?? null);
  updateReplyCounter();
  updateReplySchedule();
}
