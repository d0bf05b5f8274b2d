// Each person's own unread counts. A list fetched over HTTP carries the person's
// `unread_count` beside the team-wide `inbound_count`; a pushed copy carries only
// `inbound_count` (the same event goes to everyone). So the page keeps, per conversation,
// how many inbound messages this person had read (inbound_count - unread_count when last
// fetched) and shows what came in since: max(0, inbound_count - read).
//
// What was read only grows, so of two copies the one that says more was read wins, and a
// list's stored copies can pass through here again without undoing a newer read. A read
// in another of the person's tabs arrives as {"type": "conversation.read"} in their own
// group. The tab's title shows the total over every conversation the page has seen.

import { setTitle } from "./title.js";

const readInbound = new Map(); // conversation or email thread id -> inbound messages read
const unreadShown = new Map(); // id -> the unread count last shown
const hooks = { onRead: () => {}, askServer: () => {} };
const asked = new Set();

const idOf = (record) => record.conversation_id ?? record.id;

function remember(id, read) {
  if (Number.isFinite(read) && read > (readInbound.get(id) ?? -1)) {
    readInbound.set(id, read);
  }
}

let titleQueued = false;

function updateTitle() {
  if (titleQueued) {
    return;
  }
  titleQueued = true;
  queueMicrotask(() => {
    titleQueued = false;
    let total = 0;
    for (const count of unreadShown.values()) {
      total += count;
    }
    setTitle({ unread: total });
  });
}

// The record with this person's unread count (a copy when it changes).
export function countUnread(record) {
  const inbound = Number(record?.inbound_count);
  if (!record || !Number.isFinite(inbound)) {
    return record; // a server without per-person counts: its unread_count stands
  }
  const id = idOf(record);
  const given = Number(record.unread_count);
  if (record.unread_count !== undefined && record.unread_count !== null && Number.isFinite(given)) {
    remember(id, inbound - given);
  } else if (!readInbound.has(id) && inbound > 1 && !asked.has(id)) {
    // A conversation this page never fetched, with history: only the server knows what
    // this person read of it. Until it answers, everything in it counts as unread.
    asked.add(id);
    hooks.askServer(record);
  }
  const unread = Math.max(0, inbound - (readInbound.get(id) ?? 0));
  unreadShown.set(id, unread);
  updateTitle();
  return unread === record.unread_count ? record : { ...record, unread_count: unread };
}

// {"type": "conversation.read", "conversation_id", "inbound_read"}: read in another tab.
export function readElsewhere(event) {
  const id = event?.conversation_id;
  if (!id) {
    return;
  }
  remember(id, Number(event.inbound_read));
  hooks.onRead(id);
}

// hooks.onRead(id): redraw that conversation or thread (its stored copy passes through
// countUnread again); hooks.askServer(record): fetch it, for the person's own count.
export function setupUnread(given) {
  Object.assign(hooks, given);
}
