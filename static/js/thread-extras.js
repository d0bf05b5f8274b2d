// What a thread shows besides its messages or emails: the team's internal notes and its
// activity lines, kept per conversation and put among the messages by time.
//
// notes.js and activity.js fetch and receive them; thread.js and email-thread.js draw them
// with their own items. This module sits between them (it imports none of them), so that
// each side only tells the other "a thread opened" (threadOpened) or "this thread's notes
// or activity changed" (onExtrasChanged) and neither imports the other.

const byConversation = new Map(); // conversation id -> {notes: [], activity: []}
const openedHandlers = [];
const changedHandlers = [];

function extrasOf(id) {
  let extras = byConversation.get(id);
  if (!extras) {
    extras = { notes: [], activity: [] };
    byConversation.set(id, extras);
  }
  return extras;
}

const time = (iso) => Date.parse(iso) || 0;
const byCreation = (a, b) => time(a.created_at) - time(b.created_at) || (a.id > b.id ? 1 : -1);

function merge(existing, incoming) {
  const merged = new Map(existing.map((item) => [String(item.id), item]));
  for (const item of incoming) {
    merged.set(String(item.id), item);
  }
  return [...merged.values()].sort(byCreation);
}

function changed(id) {
  for (const handler of changedHandlers) {
    handler(id);
  }
}

export function mergeNotes(id, notes) {
  const extras = extrasOf(id);
  extras.notes = merge(extras.notes, notes);
  changed(id);
}

export function mergeActivity(id, activity) {
  const extras = extrasOf(id);
  extras.activity = merge(extras.activity, activity);
  changed(id);
}

// handler(id): redraw if that conversation is the one shown.
export function onExtrasChanged(handler) {
  changedHandlers.push(handler);
}

// handler(kind, id): kind "conversation" or "email"; called when a thread opens and after
// a reconnection (what was missed is fetched again).
export function onThreadOpened(handler) {
  openedHandlers.push(handler);
}

export function threadOpened(kind, id) {
  for (const handler of openedHandlers) {
    handler(kind, id);
  }
}

// The thread's items with its notes and activity among them, by time: `items` are sorted
// oldest first and carry `timestamp`; the page's own replies still on their way (ids
// "tmp-...") stay last, where the person who wrote them expects them. An extra comes as
// {kind: "note", note} or {kind: "activity", activity}, with `id` and `timestamp`.
export function withExtras(items, id) {
  const extras = byConversation.get(id);
  if (!extras || (!extras.notes.length && !extras.activity.length)) {
    return items;
  }
  const added = [
    ...extras.notes.map((note) => ({
      kind: "note",
      id: note.id,
      timestamp: note.created_at,
      note,
    })),
    ...extras.activity.map((activity) => ({
      kind: "activity",
      id: activity.id,
      timestamp: activity.created_at,
      activity,
    })),
  ].sort((a, b) => time(a.timestamp) - time(b.timestamp));
  const own = items.filter((item) => String(item.id).startsWith("tmp-"));
  const stored = items.filter((item) => !String(item.id).startsWith("tmp-"));
  const merged = [];
  let next = 0;
  for (const item of stored) {
    while (next < added.length && time(added[next].timestamp) < time(item.timestamp)) {
      merged.push(added[next]);
      next += 1;
    }
    merged.push(item);
  }
  return [...merged, ...added.slice(next), ...own];
}
