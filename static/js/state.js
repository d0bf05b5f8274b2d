// The inbox's state, shared by every part of the screen, and how records merge into it.
//
// Records reach state three ways, all merged the same way: HTTP pages, the answers to the
// page's own writes, and events pushed over the websocket. The parts share this module
// rather than each other's variables, so that none of them owns what another one draws.

import { mergeByKey } from "./render.js";

export const state = {
  section: "conversations", // or "emails"
  conversations: [], // newest activity first, as the API orders them
  listNext: null,
  listRequest: null, // {controller, more} of the list request in flight
  listPushed: new Map(), // conversations pushed while a first page was loading
  query: "",
  filter: "", // "", "sms", "internal", "failed" or "scheduled"
  selectedId: null,
  conversation: null, // the selected conversation's record, once known
  messages: [], // the selected conversation's stored messages, oldest first
  threadNext: null,
  threadRequest: null,
  olderRequest: false,
  outgoing: new Map(), // conversation id -> replies being sent or refused (the page's own)
  firstSeen: new Map(), // message id -> when the page first had it (performance.now())
  notes: new Map(), // message id -> why its retry was refused
  retrying: new Set(), // message ids with a retry request in flight
  reading: new Set(), // conversation ids with a mark-read request in flight
  readAgain: new Set(),
  drafts: new Map(), // unsent replies by conversation, so a reply never follows a switch
  draftFiles: new Map(), // and the files picked for them
  draftSendAt: new Map(), // and the time each is to be sent at (a Date), if one was chosen
};

export const FAILED_STATUSES = new Set(["failed", "undelivered"]);

// Merging: the same record may arrive as an HTTP answer and as a pushed event, in either
// order. A message's updated_at says which copy is newer; a conversation's activity time.

function newerMessage(existing, incoming) {
  if (!existing) {
    return incoming;
  }
  return Date.parse(incoming.updated_at) >= Date.parse(existing.updated_at) ? incoming : existing;
}

export function newerConversation(existing, incoming) {
  if (!existing) {
    return incoming;
  }
  return Date.parse(incoming.last_message_date) >= Date.parse(existing.last_message_date)
    ? incoming
    : existing;
}

export function compareActivity(a, b) {
  const difference = Date.parse(b.last_message_date) - Date.parse(a.last_message_date);
  return difference || (b.conversation_id > a.conversation_id ? 1 : -1);
}

function compareMessages(a, b) {
  const difference = Date.parse(a.timestamp) - Date.parse(b.timestamp);
  if (difference) {
    return difference;
  }
  // Date.parse keeps milliseconds; the API's times have microseconds, in one format.
  if (a.timestamp !== b.timestamp) {
    return a.timestamp > b.timestamp ? 1 : -1;
  }
  return a.id > b.id ? 1 : -1;
}

export const mergeConversations = (existing, incoming) =>
  mergeByKey(existing, incoming, "conversation_id", newerConversation, compareActivity);

export function mergeMessages(existing, incoming) {
  const now = performance.now();
  for (const message of incoming) {
    if (!state.firstSeen.has(message.id)) {
      state.firstSeen.set(message.id, now);
    }
  }
  return mergeByKey(existing, incoming, "id", newerMessage, compareMessages);
}

export function outgoingOf(id) {
  return state.outgoing.get(id) ?? [];
}
