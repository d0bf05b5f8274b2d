// Render functions: API records in, DOM nodes out, no state and no requests, so that the
// page and live updates draw conversations, messages and emails the same way.
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

// Keyed redraws. `entries` are {key, signature, build} in display order: a node whose key
// and signature are unchanged is kept as it is (focus, images and scroll stay put), a
// changed one is rebuilt, and nodes are moved only when out of place. A live update thus
// touches the one conversation or message it is about.
const keyedNodes = new WeakMap();

export function reconcile(container, entries) {
  const previous = keyedNodes.get(container) ?? new Map();
  const next = new Map();
  const focused = container.contains(document.activeElement) ? document.activeElement : null;
  let cursor = container.firstChild;
  for (const entry of entries) {
    let kept = previous.get(entry.key);
    if (!kept || kept.signature !== entry.signature) {
      if (kept) {
        if (kept.node === cursor) {
          cursor = cursor.nextSibling;
        }
        kept.node.remove();
      }
      kept = { node: entry.build(), signature: entry.signature };
    }
    next.set(entry.key, kept);
    if (kept.node === cursor) {
      cursor = cursor.nextSibling;
    } else {
      container.insertBefore(kept.node, cursor);
    }
  }
  const wanted = new Set([...next.values()].map((kept) => kept.node));
  for (const child of [...container.childNodes]) {
    if (!wanted.has(child)) {
      child.remove();
    }
  }
  keyedNodes.set(container, next);
  // Chrome blurs an element that is moved; give focus back to it.
  if (focused?.isConnected && document.activeElement !== focused) {
    focused.focus({ preventScroll: true });
  }
}

// The records a list draws, when the same record arrives more than once (an HTTP answer, a
// pushed event, in either order): one per `key`, `pick(existing, incoming)` choosing the
// copy to keep, sorted by `compare`.
export function mergeByKey(existing, incoming, key, pick, compare) {
  const merged = new Map(existing.map((item) => [item[key], item]));
  for (const item of incoming) {
    merged.set(item[key], pick(merged.get(item[key]), item));
  }
  return [...merged.values()].sort(compare);
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

export function timeElement(iso, text) {
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

// Messages.

const STATUS_LABELS = {
  queued: "Queued",
  sending: "Sending",
  sent: "Sent",
  delivered: "Delivered",
  undelivered: "Undelivered",
  failed: "Failed",
  // The page's own: a reply on its way to Hatch, and one Hatch refused or never received.
  pending: "Pending",
  error: "Not sent",
};

const PROVIDER_FAILED = new Set(["failed", "undelivered"]);

export function statusLabel(status) {
  return STATUS_LABELS[status] ?? status;
}

function errorText(message) {
  if (!message.error_message && !message.error_code) {
    return "";
  }
  const code = message.error_code ? `Error ${message.error_code}` : "";
  return [code, message.error_message].filter(Boolean).join(": ");
}

// A provider failure's reason shows on hover (title) and, for touch and keyboard, while
// the mark has focus: it is focusable and described by the reason.
export function statusMark(message, errorId = null) {
  const label = statusLabel(message.status);
  const failed = PROVIDER_FAILED.has(message.status);
  return h(
    "span",
    {
      className: `status-mark status-${message.status}`,
      title: errorText(message) || label,
      tabindex: failed && errorId ? "0" : null,
      "aria-describedby": failed ? errorId : null,
    },
    label,
  );
}

// Media URLs come from the provider's webhook: only http(s) ever becomes a link or an
// image, and only https or this site's own images are drawn (the CSP allows no others).
function mediaUrl(raw) {
  if (typeof raw !== "string" || !raw) {
    return null;
  }
  try {
    const url = new URL(raw, window.location.href);
    return url.protocol === "https:" || url.protocol === "http:" ? url : null;
  } catch {
    return null;
  }
}

function mediaKind(contentType) {
  const [kind, subtype = ""] = contentType.split("/");
  if (kind === "video") {
    return "Video";
  }
  if (kind === "audio") {
    return "Audio";
  }
  if (subtype === "pdf") {
    return "PDF";
  }
  if (kind === "image") {
    return "Image";
  }
  return "File";
}

function mediaItem(item, index, message) {
  const url = mediaUrl(item?.url);
  const contentType = typeof item?.content_type === "string" ? item.content_type : "";
  if (!url) {
    return h("span", { className: "media-missing" }, "Attachment unavailable");
  }
  const drawable = url.protocol === "https:" || url.origin === window.location.origin;
  if (contentType.startsWith("image/") && drawable) {
    const image = h("img", {
      src: item.url,
      alt: `Image ${index + 1} from ${displayContact(message.from_contact)}`,
      decoding: "async",
    });
    image.addEventListener("error", () => image.classList.add("is-broken"), { once: true });
    return image;
  }
  const label = `${mediaKind(contentType)} attachment${contentType ? ` (${contentType})` : ""}`;
  return h("a", { href: item.url, target: "_blank", rel: "noopener noreferrer" }, label);
}

function mediaList(message) {
  const media = Array.isArray(message.media) ? message.media : [];
  if (!media.length) {
    return null;
  }
  return h(
    "ul",
    {
      className: "media",
      "aria-label": media.length === 1 ? "Attachment" : `${media.length} attachments`,
    },
    media.map((item, index) => h("li", {}, mediaItem(item, index, message))),
  );
}

// An inbound MMS without text is stored with this body; its media says it all.
const MEDIA_PLACEHOLDER = "(media message)";

// `message` is an API record, or the page's own record of a reply being sent (status
// "pending" or "error", `error` the reason); `note` is the reason a retry was refused.
export function messageItem(message) {
  const outbound = message.direction !== "inbound";
  const status = message.status;
  const providerFailed = PROVIDER_FAILED.has(status);
  const notSent = status === "error";
  const errorId = `message-error-${message.id}`;
  const error = notSent ? message.error : providerFailed ? errorText(message) : "";
  const canRetry = notSent || (outbound && status === "failed" && message.type === "sms");
  const hideBody =
    message.body === MEDIA_PLACEHOLDER && Array.isArray(message.media) && message.media.length > 0;
  const classes = [
    "message",
    outbound ? "message-outbound" : "message-inbound",
    providerFailed || notSent ? "message-failed" : "",
    status === "pending" ? "message-pending" : "",
  ];
  return h(
    "li",
    {
      className: classes.filter(Boolean).join(" "),
      "data-message-id": message.id,
      "data-status": status,
      "data-direction": outbound ? "outbound" : "inbound",
    },
    hideBody ? null : h("div", { className: "bubble" }, message.body),
    mediaList(message),
    h(
      "div",
      { className: "message-meta" },
      h("span", { className: "message-sender" }, displayContact(message.from_contact)),
      timeElement(message.timestamp, timeFormat.format(new Date(message.timestamp))),
      outbound ? statusMark(message, error ? errorId : null) : null,
    ),
    error
      ? h(
          "p",
          { className: `message-error${providerFailed ? " on-focus" : ""}`, id: errorId },
          error,
        )
      : null,
    message.note ? h("p", { className: "message-error" }, message.note) : null,
    canRetry || notSent
      ? h(
          "div",
          { className: "message-actions" },
          canRetry
            ? h(
                "button",
                {
                  type: "button",
                  className: "button button-small",
                  "data-action": "retry",
                  disabled: Boolean(message.retrying),
                },
                "Retry",
              )
            : null,
          notSent
            ? h(
                "button",
                {
                  type: "button",
                  className: "button button-small button-quiet",
                  "data-action": "discard",
                },
                "Discard",
              )
            : null,
        )
      : null,
  );
}

export function daySeparator(label) {
  return h("li", { className: "day-separator" }, h("span", {}, label));
}

// A thread's entries for reconcile(), in order, with a separator before each new day.
export function threadEntries(messages, now = new Date()) {
  const entries = [];
  const days = new Set();
  let lastDay = null;
  for (const message of messages) {
    const day = startOfDay(new Date(message.timestamp)).getTime();
    if (day !== lastDay) {
      const label = dayLabel(message.timestamp, now);
      // A reply being sent carries this browser's clock, which may disagree with the
      // server's around midnight: a day can then come twice, and keys must stay unique.
      let key = `day-${day}`;
      while (days.has(key)) {
        key += "+";
      }
      days.add(key);
      entries.push({ key, signature: label, build: () => daySeparator(label) });
      lastDay = day;
    }
    entries.push({
      key: `message-${message.id}`,
      signature: JSON.stringify(message),
      build: () => messageItem(message),
    });
  }
  return entries;
}

export function segmentSummary({ encoding, units, segments, capacity }, characters, maxCharacters) {
  if (characters > maxCharacters) {
    return `${characters}/${maxCharacters} characters: too long to send`;
  }
  const parts = `${segments} ${segments === 1 ? "segment" : "segments"}`;
  return `${units}/${capacity} · ${parts}${encoding === "UCS-2" ? " · Unicode" : ""}`;
}

// Emails.

const EMAIL_STATUS_LABELS = {
  queued: "Queued",
  sending: "Sending",
  sent: "Sent",
  delivered: "Delivered",
  bounced: "Bounced",
  dropped: "Dropped",
  failed: "Failed",
};

export function emailStatusLabel(status) {
  return EMAIL_STATUS_LABELS[status] ?? status;
}

export function emailStatusBadge(status) {
  const className = `badge email-status email-status-${status}`;
  return h("span", { className }, emailStatusLabel(status));
}

export function emailItem(email, { selected = false } = {}) {
  return h(
    "li",
    {},
    h(
      "a",
      {
        className: "email-item",
        href: `?view=emails&e=${encodeURIComponent(email.id)}`,
        "data-email-id": email.id,
        "data-status": email.status,
        "aria-current": selected ? "true" : null,
      },
      h(
        "span",
        { className: "conversation-top" },
        h("span", { className: "conversation-name" }, email.to_email),
        timeElement(email.timestamp, listTime(email.timestamp)),
      ),
      h(
        "span",
        { className: "conversation-bottom" },
        h("span", { className: "conversation-preview" }, email.subject),
        emailStatusBadge(email.status),
      ),
    ),
  );
}

function detailRow(label, value) {
  const empty = value === null || value === undefined || value === "";
  if (empty || (Array.isArray(value) && !value.length)) {
    return null;
  }
  return [h("dt", {}, label), h("dd", {}, value)];
}

function fullTime(iso) {
  return iso ? timeElement(iso, fullFormat.format(new Date(iso))) : null;
}

// The HTML part is shown as its source, never rendered: it is user content.
export function emailDetail(email) {
  const events = Array.isArray(email.events) ? email.events : null;
  return [
    h(
      "dl",
      { className: "email-fields" },
      detailRow("From", email.from_email),
      detailRow("To", email.to_email),
      detailRow("Cc", (email.cc ?? []).join(", ")),
      detailRow("Bcc", (email.bcc ?? []).join(", ")),
      detailRow("Reply-To", email.reply_to),
      detailRow("Status", emailStatusLabel(email.status)),
      detailRow("Error", email.error_message),
      detailRow("Queued", fullTime(email.timestamp)),
      detailRow("Sent", fullTime(email.sent_at)),
      detailRow("Delivered", fullTime(email.delivered_at)),
    ),
    h("h3", { className: "detail-heading" }, "Message"),
    h("pre", { className: "email-body" }, email.body || "(no text part)"),
    email.html_content
      ? h(
          "details",
          { className: "email-html" },
          h("summary", {}, "HTML part (source)"),
          h("pre", { className: "email-body code" }, email.html_content),
        )
      : null,
    h("h3", { className: "detail-heading" }, "Delivery events"),
    events === null
      ? h("p", { className: "muted" }, "Loading events…")
      : events.length
        ? h(
            "ol",
            { className: "email-events", "aria-label": "Delivery events" },
            events.map((event) =>
              h(
                "li",
                { className: "email-event", "data-event": event.event },
                h("span", { className: "email-event-name" }, event.event),
                h("span", { className: "email-event-recipient" }, event.recipient),
                fullTime(event.occurred_at),
              ),
            ),
          )
        : h("p", { className: "muted" }, "No events from the provider yet."),
  ];
}
