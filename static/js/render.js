// Render functions: API records in, DOM nodes out, no state and no requests, so that the
// page and (later) live updates draw conversations and messages the same way.
//
// User content only ever reaches the DOM as text (append of a string, textContent) or as an
// attribute value; never through innerHTML. A body of "<img src=x onerror=...>" shows as
// those characters.

const SVG_NS = "http://www.w3.org/2000/svg";

export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name === "className") {
      node.className = value;
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child);
    }
  }
  return node;
}

function icon(pathData, className = "icon") {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", className);
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", pathData);
  svg.append(path);
  return svg;
}

const PHONE_ICON = "M7 3h4l1.5 5-2.5 1.5a11 11 0 0 0 4.5 4.5L16 11.5l5 1.5v4a2 2 0 0 1-2 2A16 16 0 0 1 5 5a2 2 0 0 1 2-2z";

// Dates and times, in the reader's locale and time zone.

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const dayYearFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
});
const weekdayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  month: "long",
  day: "numeric",
});
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });

function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

function daysBetween(earlier, later) {
  return Math.round((startOfDay(later) - startOfDay(earlier)) / 86_400_000);
}

// The conversation list: the time for today, the date otherwise.
export function listTime(iso, now = new Date()) {
  const date = new Date(iso);
  if (daysBetween(date, now) === 0) {
    return timeFormat.format(date);
  }
  return date.getFullYear() === now.getFullYear()
    ? dayFormat.format(date)
    : dayYearFormat.format(date);
}

export function dayLabel(iso, now = new Date()) {
  const date = new Date(iso);
  const days = daysBetween(date, now);
  if (days === 0) {
    return "Today";
  }
  if (days === 1) {
    return "Yesterday";
  }
  return date.getFullYear() === now.getFullYear()
    ? weekdayFormat.format(date)
    : dayYearFormat.format(date);
}

function timeElement(iso, text) {
  return h("time", { datetime: iso, title: fullFormat.format(new Date(iso)) }, text);
}

// Contacts: E.164 numbers, or names.

const NANP = /^\+1(\d{3})(\d{3})(\d{4})$/;
const PHONE = /^\+\d{6,15}$/;

export function isPhoneNumber(contact) {
  return PHONE.test(contact);
}

export function displayContact(contact) {
  const match = NANP.exec(contact);
  return match ? `+1 (${match[1]}) ${match[2]}-${match[3]}` : contact;
}

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

const CHANNEL_LABELS = { sms: "SMS", internal: "Internal" };

export function channelLabel(channel) {
  return CHANNEL_LABELS[channel] ?? channel;
}

export function channelBadge(channel) {
  return h("span", { className: `badge badge-${channel}` }, channelLabel(channel));
}

export function conversationItem(conversation, { selected = false } = {}) {
  const id = conversation.conversation_id;
  const link = h(
    "a",
    {
      className: "conversation",
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
        channelBadge(conversation.channel),
      ),
    ),
  );
  return h("li", {}, link);
}

// Messages.

const STATUS_LABELS = {
  queued: "Queued",
  sending: "Sending",
  sent: "Sent",
  delivered: "Delivered",
  undelivered: "Not delivered",
  failed: "Failed",
};

function errorText(message) {
  if (!message.error_message && !message.error_code) {
    return "";
  }
  const code = message.error_code ? `Error ${message.error_code}` : "";
  return [code, message.error_message].filter(Boolean).join(": ");
}

export function statusMark(message) {
  const label = STATUS_LABELS[message.status] ?? message.status;
  return h(
    "span",
    { className: `status status-${message.status}`, title: errorText(message) || label },
    label,
  );
}

export function messageItem(message) {
  const outbound = message.direction !== "inbound";
  const failed = message.status === "failed" || message.status === "undelivered";
  const error = failed ? errorText(message) : "";
  return h(
    "li",
    {
      className: `message ${outbound ? "message-outbound" : "message-inbound"}${failed ? " message-failed" : ""}`,
      "data-message-id": message.id,
    },
    h("div", { className: "bubble" }, message.body),
    h(
      "div",
      { className: "message-meta" },
      h("span", { className: "message-sender" }, displayContact(message.from_contact)),
      timeElement(message.timestamp, timeFormat.format(new Date(message.timestamp))),
      outbound ? statusMark(message) : null,
    ),
    error ? h("p", { className: "message-error" }, error) : null,
  );
}

export function daySeparator(label) {
  return h("li", { className: "day-separator" }, h("span", {}, label));
}

// A thread's items in order, with a separator before each new day.
export function threadItems(messages, now = new Date()) {
  const items = [];
  let lastDay = null;
  for (const message of messages) {
    const day = startOfDay(new Date(message.timestamp)).getTime();
    if (day !== lastDay) {
      items.push(daySeparator(dayLabel(message.timestamp, now)));
      lastDay = day;
    }
    items.push(messageItem(message));
  }
  return items;
}

export function segmentSummary({ encoding, units, segments, capacity }, characters, maxCharacters) {
  if (characters > maxCharacters) {
    return `${characters}/${maxCharacters} characters: too long to send`;
  }
  const parts = `${segments} ${segments === 1 ? "segment" : "segments"}`;
  return `${units}/${capacity} · ${parts}${encoding === "UCS-2" ? " · Unicode" : ""}`;
}
