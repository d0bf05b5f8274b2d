// How the conversation list draws one conversation: avatar, name, time, preview, unread
// count and channel.

import {
  channelBadge,
  displayContact,
  h,
  icon,
  isPhoneNumber,
  listTime,
  timeElement,
} from "./render.js";

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

export function avatar(contact) {
  const content = isPhoneNumber(contact) ? icon(PHONE_ICON) : initials(contact);
  return h("span", { className: `avatar avatar-hue-${hue(contact)}`, "aria-hidden": "true" }, content);
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
  const link = h(
    "a",
    {
      className: `conversation${unread ? " is-unread" : ""}`,
      href: `?c=${encodeURIComponent(id)}`,
      "data-conversation-id": id,
      "aria-current": selected ? "true" : null,
    },
    avatar(conversation.reply_to),
    h(
      "span",
      { className: "conversation-main" },
      h(
        "span",
        { className: "conversation-top" },
        h("span", { className: "conversation-name" }, displayContact(conversation.reply_to)),
        timeElement(conversation.last_message_date, listTime(conversation.last_message_date)),
      ),
      h(
        "span",
        { className: "conversation-bottom" },
        h("span", { className: "conversation-preview" }, conversation.preview),
        unreadBadge(unread),
        channelBadge(conversation.channel),
      ),
    ),
  );
  return h("li", {}, link);
}
