// Who is signed in (the page's data attributes), and what the team shares: its teammates
// and labels, each fetched once and kept, and fetched again when a picker opens so that a
// teammate or label added meanwhile shows. Also where a conversation's team records live
// (its PATCH, notes and activity), for SMS and internal conversations and email threads
// alike.

import { getJSON } from "./api.js";
import { root, urls } from "./page.js";

export const me = {
  id: Number(root.dataset.userId) || null,
  name: root.dataset.userName ?? "",
  username: root.dataset.userUsername ?? "",
  role: root.dataset.userRole ?? "agent",
};

export const teamUrls = {
  teammates: root.dataset.teammatesUrl ?? "/api/teammates",
  labels: root.dataset.labelsUrl ?? "/api/labels",
  savedReplies: root.dataset.savedRepliesUrl ?? "/api/saved_replies",
};

// kind: "conversation" (SMS or internal) or "email" (an email thread).
export function recordUrl(kind, id) {
  return kind === "email" ? urls.emailThread(id) : urls.conversation(id);
}

export const notesUrl = (kind, id) => `${recordUrl(kind, id)}/notes`;
export const activityUrl = (kind, id) => `${recordUrl(kind, id)}/activity`;

export const isMe = (person) => person != null && Number(person.id) === me.id;

// A list answer: a bare array, or a page ({"results": [...]} or named after what it holds).
export function listOf(data, key) {
  if (Array.isArray(data)) {
    return data;
  }
  const items = data?.[key] ?? data?.results;
  return Array.isArray(items) ? items : [];
}

const cache = { teammates: null, labels: null };

function load(what) {
  const request = getJSON(teamUrls[what])
    .then((data) => listOf(data, what))
    .catch((error) => {
      cache[what] = null; // asked again next time
      throw error;
    });
  cache[what] = request;
  return request;
}

// `fresh` asks the server again; otherwise the first answer is reused.
export function teammates({ fresh = false } = {}) {
  return !fresh && cache.teammates ? cache.teammates : load("teammates");
}

export function labels({ fresh = false } = {}) {
  return !fresh && cache.labels ? cache.labels : load("labels");
}

export function activeTeammates(list) {
  return list.filter((person) => person.is_active !== false);
}
