// How the conversation list draws one conversation: avatar, name (the contact's, with the
// number beneath it), time, preview, unread count and channel, and what the team did
// with it (closed or snoozed, labels, assignee: render-team.js).

import {
  channelBadge,
  h,
  icon,
  isPhoneNumber,
  listTime,
  partyLabel,
  timeElement,
} from "./render.js";
import { teamMarks } from "./render-team.js";

const PHONE_ICON = "M7 3h4l1.5 5-2.5 1.5a11 11 0 0 0 4.5 4.5L16 11.5l5 1.5v4a2 2 0 0 1-2 2A16 16 0 0 1 5 5a2 2 0 0 1 2-2z";

function hue(text) {
  let hash = 0;
  for (const char of text) {
    hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  }
  return hash % 6;
}

function initials(name) {
  const words = name.split(/\s+/).filter(Boolean);
  const letters = words.slice(0, 2).map((word) => [...word][0]);
  return letters.join("").toUpperCase() || "?";
}

// `address` colours it (the same person keeps a colour when named); `name` gives initials.
export function avatar(address, name = "") {
  const label = name || address;
  const content = isPhoneNumber(label) ? icon(PHONE_ICON) : initials(label);
  return h("span", { className: `avatar avatar-hue-${hue(address)}`, "aria-hidden": "true" }, content);
}

// The count only; the words for screen readers sit beside it, so that the badge's text
// stays the number.
function unreadBadge(count) {
  return [
    h("span", { className: "unread-badge", hidden: count === 0 }, String(count)),
    h(
      "span",
      { className: "visually-hidden", hidden: count === 0 },
      count === 1 ? " unread message" : " unread messages",
    ),
  ];
}

export function conversationItem(conversation, { selected = false } = {}) {
  const id = conversation.conversation_id;
  const unread = Math.max(0, Number(conversation.unread_count) || 0);
  const party = partyLabel(conversation.contact, conversation.reply_to);
  const link = h(
    "a",
    {
      className: `conversation${unread ? " is-unread" : ""}`,
      href: `?c=${encodeURIComponent(id)}`,
      "data-conversation-id": id,
      "aria-current": selected ? "true" : null,
    },
    avatar(conversation.reply_to, party.detail ? party.title : ""),
    h(
      "span",
      { className: "conversation-main" },
      h(
        "span",
        { className: "conversation-top" },
        h("span", { className: "conversation-name" }, party.title),
        timeElement(conversation.last_message_date, listTime(conversation.last_message_date)),
      ),
      party.detail ? h("span", { className: "conversation-number" }, party.detail) : null,
      h(
        "span",
        { className: "conversation-bottom" },
        h("span", { className: "conversation-preview" }, conversation.preview),
        unreadBadge(unread),
        channelBadge(conversation.channel),
      ),
      // Closed or snoozed, its labels, and who has it.
      teamMarks(conversation),
    ),
  );
  return h("li", {}, link);
}
