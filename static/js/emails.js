// The Emails view's list: email threads (sent and received), latest activity first, with
// their unread counts, a search, and the threads pushed live as emails arrive.
//
// routing.js owns navigation (which view shows, the address bar, clicks on links),
// email-thread.js the open thread, and live-events.js the websocket; this module owns the
// list's state and drawing, and is told about pushed threads by upsertThread().

import { getJSON } from "./api.js";
import { byId, urls } from "./page.js";
import { loadOnScroll, reobserve } from "./paging.js";
import { mergeByKey, reconcile } from "./render.js";
import { threadItem } from "./render-email.js";
import { countUnread } from "./unread.js";

// A thread's summary changes with each email in it and with each read: of two copies,
// the later activity wins, and at equal activity the one pushed or fetched last.
function newer(existing, incoming) {
  if (!existing) {
    return incoming;
  }
  return Date.parse(incoming.last_message_at) >= Date.parse(existing.last_message_at)
    ? incoming
    : existing;
}

function compareThreads(a, b) {
  const difference = Date.parse(b.last_message_at) - Date.parse(a.last_message_at);
  return difference || (b.id > a.id ? 1 : -1);
}

const ui = {
  list: byId("email-list"),
  scroll: byId("emails-scroll"),
  status: byId("emails-status"),
  loadMore: byId("load-more-emails"),
  searchForm: byId("emails-search-form"),
  search: byId("emails-search-input"),
};
export const emailList = ui.list;

const list = {
  threads: [],
  next: null,
  loaded: false,
  request: null,
  query: "",
  selectedId: null,
  // Whether the person is reading the open thread: its unread count then shows as 0.
  isReading: () => false,
  searchTimer: null,
};

function shown(thread) {
  return thread.id === list.selectedId && list.isReading() ? { ...thread, unread_count: 0 } : thread;
}

function merge(incoming) {
  list.threads = mergeByKey(list.threads, incoming, "id", newer, compareThreads);
}

export function renderThreadList() {
  reconcile(
    ui.list,
    list.threads.map((thread) => {
      const selected = thread.id === list.selectedId;
      const drawn = shown(thread);
      return {
        key: thread.id,
        signature: JSON.stringify([drawn, selected]),
        build: () => threadItem(drawn, { selected }),
      };
    }),
  );
  ui.loadMore.hidden = !list.next;
  reobserve(ui.loadMore);
  if (!list.loaded) {
    return;
  }
  if (list.threads.length) {
    ui.status.textContent = "";
  } else if (list.query) {
    ui.status.textContent = `No emails match “${list.query}”.`;
  } else {
    ui.status.textContent = "No emails yet. Send one with Compose email.";
  }
}

function listUrl() {
  return list.query
    ? `${urls.emailThreads}?${new URLSearchParams({ q: list.query })}`
    : urls.emailThreads;
}

// `refresh` merges the first page into what is shown (a catch-up); otherwise the first
// page replaces the list (a new search), or `more` appends the next one.
export async function loadThreads({ more = false, refresh = false } = {}) {
  if (more && (!list.next || list.request)) {
    return;
  }
  list.request?.abort();
  const request = new AbortController();
  list.request = request;
  ui.loadMore.disabled = true;
  ui.list.setAttribute("aria-busy", "true");
  if (!list.loaded || (!more && !refresh)) {
    ui.status.textContent = list.query ? "Searching…" : "Loading emails…";
  }
  try {
    const page = await getJSON(more ? list.next : listUrl(), { signal: request.signal });
    const threads = (page.email_threads ?? []).map(countUnread);
    if (more || refresh) {
      merge(threads);
    } else {
      list.threads = [...threads].sort(compareThreads);
    }
    if (more || !refresh || !list.next) {
      list.next = page.next;
    }
    list.loaded = true;
    renderThreadList();
  } catch (error) {
    if (error.name !== "AbortError") {
      ui.status.textContent = error.message;
    }
  } finally {
    if (list.request === request) {
      list.request = null;
      ui.loadMore.disabled = false;
      ui.list.setAttribute("aria-busy", "false");
    }
  }
}

function matchesSearch(thread) {
  if (!list.query) {
    return true;
  }
  const needle = list.query.toLowerCase();
  return [thread.subject, thread.preview, thread.contact?.name, ...(thread.participants ?? [])]
    .filter(Boolean)
    .some((text) => text.toLowerCase().includes(needle));
}

// A thread pushed (a new email in it, or read) or answered by a write of this page.
export function upsertThread(incoming) {
  const thread = countUnread(incoming);
  if (!list.loaded) {
    return; // the first load will show it
  }
  const known = list.threads.some((item) => item.id === thread.id);
  const last = list.threads.at(-1);
  if (!known && (!matchesSearch(thread) || (list.next && last && compareThreads(thread, last) > 0))) {
    return; // not in this search, or older than what is loaded: "Load more" brings it
  }
  merge([thread]);
  renderThreadList();
}

export function threadById(id) {
  return list.threads.find((thread) => thread.id === id) ?? null;
}

export function selectThread(id) {
  list.selectedId = id;
  renderThreadList();
}

export function focusThread(id) {
  ui.list.querySelector(`[data-thread-id="${CSS.escape(id)}"]`)?.focus();
}

export function showEmails() {
  if (!list.loaded && !list.request) {
    loadThreads();
  }
}

// After a reconnection: the first page again.
export function catchUpThreads() {
  return list.loaded ? loadThreads({ refresh: true }) : Promise.resolve();
}

function applySearch() {
  clearTimeout(list.searchTimer);
  const query = ui.search.value.trim();
  if (query !== list.query) {
    list.query = query;
    loadThreads();
  }
}

// isReading(): whether the open thread is on screen (its unread count is then 0).
export function setupEmails({ isReading }) {
  list.isReading = isReading;
  loadOnScroll(ui.loadMore, ui.scroll, () => loadThreads({ more: true }));
  ui.loadMore.addEventListener("click", () => loadThreads({ more: true }));
  ui.search.addEventListener("input", () => {
    clearTimeout(list.searchTimer);
    list.searchTimer = setTimeout(applySearch, 250);
  });
  ui.searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    applySearch();
  });
}
