// The render helpers every part of the inbox shares: building nodes (h, icon), keyed
// redraws (reconcile), merging records that arrive more than once (mergeByKey), dates and
// times, contacts and channels. The drawing of each part's own records lives next to it
// (render-list.js, render-thread.js, render-email.js); all of them take API records in and
// give DOM nodes out, with no state and no requests, so that the page and live updates
// draw conversations, messages and emails the same way.
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

export function icon(pathData, className = "icon") {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", className);
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", pathData);
  svg.append(path);
  return svg;
}

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

export function startOfDay(date) {
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

export function clockTime(iso) {
  return timeFormat.format(new Date(iso));
}

export function fullTime(iso) {
  return iso ? timeElement(iso, fullFormat.format(new Date(iso))) : null;
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

// Who a conversation or thread is with: the contact's name, with the number or address
// beneath it; the number or address alone while the contact has no name.
export function partyLabel(contact, address) {
  const name = typeof contact?.name === "string" ? contact.name.trim() : "";
  return name
    ? { title: name, detail: displayContact(address) }
    : { title: displayContact(address), detail: "" };
}

const CHANNEL_LABELS = { sms: "SMS", internal: "Internal", email: "Email" };

export function channelLabel(channel) {
  return CHANNEL_LABELS[channel] ?? channel;
}

export function channelBadge(channel) {
  return h("span", { className: `badge badge-${channel}` }, channelLabel(channel));
}
