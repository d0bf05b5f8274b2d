// The conversation list: its pages, search and filters, which pushed conversations belong
// in it, and unread badges (a conversation the person is looking at is read).
//
// Every copy of a conversation, wherever it comes from, is merged here (upsertConversation):
// the open conversation's header follows, which is why thread-header.js is a module of
// its own.

import { getJSON, postJSON } from "./api.js";
import { filteredEmptyText, passesTeamFilter, teamFilterParams } from "./list-filters.js";
import { byId, narrowScreen, root, urls } from "./page.js";
import { loadOnScroll, reobserve } from "./paging.js";
import { h, reconcile } from "./render.js";
import { conversationItem } from "./render-list.js";
import {
  FAILED_STATUSES,
  compareActivity,
  mergeConversations,
  newerConversation,
  state,
} from "./state.js";
import { renderThreadHeader } from "./thread-header.js";
import { countUnread } from "./unread.js";

const ui = {
  list: byId("conversation-list"),
  listScroll: byId("list-scroll"),
  listStatus: byId("list-status"),
  loadMore: byId("load-more-conversations"),
  searchForm: byId("search-form"),
  search: byId("search-input"),
  filters: [...document.querySelectorAll("button[data-filter]")],
};
export const conversationList = ui.list;

export function renderList() {
  reconcile(
    ui.list,
    state.conversations.map((conversation) => {
      const selected = conversation.conversation_id === state.selectedId;
      return {
        key: conversation.conversation_id,
        signature: JSON.stringify([conversation, selected]),
        build: () => conversationItem(conversation, { selected }),
      };
    }),
  );
  ui.loadMore.hidden = !state.listNext;
  reobserve(ui.loadMore);
}

function setListStatus(text, retry = null) {
  ui.listStatus.replaceChildren(text);
  if (retry) {
    const button = h("button", { type: "button", className: "link-button" }, "Try again");
    button.addEventListener("click", retry);
    ui.listStatus.append(" ", button);
  }
}

const FILTER_NAMES = { sms: "SMS", internal: "internal", failed: "failed", scheduled: "scheduled" };
// The filters the API takes as ?status=; the others are channels.
const STATUS_FILTERS = new Set(["failed", "scheduled"]);

function emptyListText() {
  if (state.conversations.length) {
    return "";
  }
  if (state.query) {
    return `No conversations match “${state.query}”.`;
  }
  return filteredEmptyText(FILTER_NAMES[state.filter]);
}

function listUrl() {
  const params = teamFilterParams(new URLSearchParams());
  if (state.query) {
    params.set("q", state.query);
  }
  if (STATUS_FILTERS.has(state.filter)) {
    params.set("status", state.filter);
  } else if (state.filter) {
    params.set("channel", state.filter);
  }
  return params.size ? `${urls.conversations}?${params}` : urls.conversations;
}

// `refresh` fetches the first page again and merges it into what is shown (a catch-up);
// otherwise the first page replaces the list (a new search or filter), or `more` appends.
export async function loadConversations({ more = false, refresh = false } = {}) {
  if (more && (!state.listNext || state.listRequest)) {
    return;
  }
  if (refresh && state.listRequest && !state.listRequest.more) {
    return; // a first page is on its way already
  }
  state.listRequest?.controller.abort();
  const request = { controller: new AbortController(), more };
  state.listRequest = request;
  if (!more) {
    state.listPushed = new Map();
    if (!refresh) {
      setListStatus(state.query ? "Searching…" : "Loading conversations…");
    }
  }
  ui.loadMore.disabled = true;
  ui.list.setAttribute("aria-busy", "true");
  try {
    const page = await getJSON(more ? state.listNext : listUrl(), {
      signal: request.controller.signal,
    });
    const conversations = page.conversations.map((item) => readIfOpen(countUnread(item)));
    if (more || refresh) {
      state.conversations = mergeConversations(state.conversations, conversations);
    } else {
      // Conversations pushed while this page was on its way may be newer than it.
      state.conversations = mergeConversations(conversations, [...state.listPushed.values()]);
      ui.listScroll.scrollTop = 0; // a new search or filter starts at its top
    }
    if (more || !refresh || !state.listNext) {
      state.listNext = page.next;
    }
    renderList();
    setListStatus(emptyListText());
    reobserve(ui.loadMore);
  } catch (error) {
    if (error.name !== "AbortError" && !refresh) {
      setListStatus(error.message, () => loadConversations({ more }));
    }
  } finally {
    if (state.listRequest === request) {
      state.listRequest = null;
      ui.loadMore.disabled = false;
      ui.list.setAttribute("aria-busy", "false");
    }
  }
}

function textMatches(conversation, query) {
  const needle = query.toLowerCase();
  return [
    conversation.contact?.name,
    conversation.reply_to,
    conversation.own_contact,
    conversation.preview,
  ]
    .filter(Boolean)
    .some((text) => text.toLowerCase().includes(needle));
}

function isChannelFilter() {
  return state.filter === "sms" || state.filter === "internal";
}

// A conversation the page has not shown yet: the failed and scheduled filters need such a
// message itself as proof, the search a match in what the summary holds.
function matchesFilter(conversation, message) {
  if (isChannelFilter() && conversation.channel !== state.filter) {
    return false;
  }
  if (!passesTeamFilter(conversation)) {
    return false;
  }
  if (state.filter === "failed" && !FAILED_STATUSES.has(message?.status)) {
    return false;
  }
  if (state.filter === "scheduled" && message?.status !== "scheduled") {
    return false;
  }
  return !state.query || textMatches(conversation, state.query);
}

// Whether a pushed conversation belongs in the list as filtered. One already shown stays
// (its newer copy replaces it); a new one must pass the filter and search, as far as the
// page can tell, and be newer than the oldest one loaded ("Load more" brings older ones).
function belongsInList(conversation, message) {
  const known = state.conversations.some(
    (item) => item.conversation_id === conversation.conversation_id,
  );
  if (isChannelFilter() && conversation.channel !== state.filter) {
    return false;
  }
  // Closed, snoozed or reassigned elsewhere: it leaves a list it no longer fits.
  if (!passesTeamFilter(conversation)) {
    return false;
  }
  if (known) {
    return true;
  }
  if (!matchesFilter(conversation, message)) {
    return false;
  }
  const last = state.conversations.at(-1);
  return !(state.listNext && last && compareActivity(conversation, last) > 0);
}

function isReading() {
  return (
    state.section === "conversations" &&
    state.selectedId !== null &&
    (!narrowScreen.matches || root.dataset.view === "thread") &&
    document.visibilityState === "visible"
  );
}

async function markRead(id) {
  if (state.reading.has(id)) {
    state.readAgain.add(id);
    return;
  }
  state.reading.add(id);
  try {
    upsertConversation(await postJSON(urls.read(id)));
  } catch {
    // The badge comes back with the next copy of the conversation; nothing is lost.
  } finally {
    state.reading.delete(id);
    if (state.readAgain.delete(id)) {
      markRead(id);
    }
  }
}

// A conversation the person is looking at is read: its badge never shows, and the server
// is told.
function readIfOpen(conversation) {
  if (conversation.conversation_id !== state.selectedId || !isReading()) {
    return conversation;
  }
  if (conversation.unread_count > 0) {
    markRead(conversation.conversation_id);
    return { ...conversation, unread_count: 0 };
  }
  return conversation;
}

export function upsertConversation(incoming, { message = null } = {}) {
  const conversation = readIfOpen(countUnread(incoming));
  const id = conversation.conversation_id;
  if (id === state.selectedId) {
    state.conversation = newerConversation(state.conversation, conversation);
    renderThreadHeader();
  }
  if (state.listRequest && !state.listRequest.more && matchesFilter(conversation, message)) {
    state.listPushed.set(id, newerConversation(state.listPushed.get(id), conversation));
  }
  if (!belongsInList(conversation, message)) {
    if (state.conversations.some((item) => item.conversation_id === id)) {
      state.conversations = state.conversations.filter((item) => item.conversation_id !== id);
      renderList();
      setListStatus(emptyListText());
    }
    return;
  }
  state.conversations = mergeConversations(state.conversations, [conversation]);
  renderList();
  setListStatus(emptyListText());
  if (state.filter === "scheduled" && leftSchedule(message)) {
    recheckSoon();
  }
}

// A message that was scheduled and is not any more (sent, or canceled).
function leftSchedule(message) {
  return Boolean(message?.scheduled_for) && message.status !== "scheduled";
}

// Whether the conversations the Scheduled list shows still have a message waiting. One
// message leaving the schedule does not say (another may still wait), so the list's first
// page is asked again: a conversation shown within its span but missing from it has none
// left, and leaves the list. Several changes in a burst ask once.
let recheckTimer = null;

function recheckSoon() {
  clearTimeout(recheckTimer);
  recheckTimer = setTimeout(recheckStatusFilter, 300);
}

async function recheckStatusFilter() {
  const url = listUrl();
  if (state.listRequest) {
    return; // a first page is on its way: it is the answer
  }
  let page;
  try {
    page = await getJSON(url);
  } catch {
    return; // the next load shows the change
  }
  if (listUrl() !== url || state.listRequest) {
    return; // another filter or search since
  }
  const found = new Set(page.conversations.map((item) => item.conversation_id));
  const last = page.conversations.at(-1);
  const beyondPage = (item) => page.next && last && compareActivity(item, last) > 0;
  state.conversations = mergeConversations(
    state.conversations.filter((item) => found.has(item.conversation_id) || beyondPage(item)),
    page.conversations.map((item) => readIfOpen(countUnread(item))),
  );
  renderList();
  setListStatus(emptyListText());
}

// A contact renamed (the contact panel): every conversation with them shows the new name.
export function renameContact(contact) {
  const named = (conversation) =>
    conversation?.contact?.id === contact.id
      ? { ...conversation, contact: { ...conversation.contact, name: contact.name } }
      : conversation;
  state.conversations = state.conversations.map(named);
  state.conversation = named(state.conversation);
  renderList();
  renderThreadHeader();
}

// `message`: one of its messages that just changed, which may bring it into (or take it
// out of) a filtered list.
export async function refreshConversation(id, { message = null } = {}) {
  try {
    upsertConversation(await getJSON(urls.conversation(id)), { message });
  } catch {
    // The list is a summary; the next load shows the change.
  }
}

let searchTimer = null;

function applySearch() {
  clearTimeout(searchTimer);
  const query = ui.search.value.trim();
  if (query !== state.query) {
    state.query = query;
    loadConversations();
  }
}

export function applyFilter(filter) {
  for (const button of ui.filters) {
    button.setAttribute("aria-pressed", String(button.dataset.filter === filter));
  }
  if (filter !== state.filter) {
    state.filter = filter;
    loadConversations();
  }
}

// A conversation started from the dialog must show, whatever was searched for.
export function clearSearch() {
  ui.search.value = "";
  state.query = "";
}

export function focusConversation(id) {
  ui.list.querySelector(`[data-conversation-id="${CSS.escape(id)}"]`)?.focus();
}

export function setupList() {
  loadOnScroll(ui.loadMore, ui.listScroll, () => loadConversations({ more: true }));
  ui.loadMore.addEventListener("click", () => loadConversations({ more: true }));
  ui.search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(applySearch, 250);
  });
  ui.searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    applySearch();
  });
  for (const button of ui.filters) {
    button.addEventListener("click", () => applyFilter(button.dataset.filter));
  }
  document.addEventListener("visibilitychange", () => {
    if (state.conversation) {
      upsertConversation(state.conversation); // read once it is seen
    }
  });
}
