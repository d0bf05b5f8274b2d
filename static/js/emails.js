// The Emails view's list: email threads (sent and received), latest activity first, with
// their unread counts, a search, a filter (All, or Scheduled: threads with an email waiting
// to go), and the threads pushed live as emails arrive.
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
  filters: [...document.querySelectorAll("button[data-email-filter]")],
};
export const emailList = ui.list;

const list = {
  threads: [],
  next: null,
  loaded: false,
  request: null,
  query: "",
  filter: "", // or "scheduled" (the API's ?status=)
  selectedId: null,
  // Whether the person is reading the open thread: its unread count then shows as 0.
  isReading: () => false,
  searchTimer: null,
  recheckTimer: null,
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
    const kind = list.filter ? "scheduled emails" : "emails";
    ui.status.textContent = `No ${kind} match “${list.query}”.`;
  } else if (list.filter) {
    ui.status.textContent = "No scheduled emails.";
  } else {
    ui.status.textContent = "No emails yet. Send one with Compose email.";
  }
}

function listUrl() {
  const params = new URLSearchParams();
  if (list.query) {
    params.set("q", list.query);
  }
  if (list.filter) {
    params.set("status", list.filter);
  }
  return params.size ? `${urls.emailThreads}?${params}` : urls.emailThreads;
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

// A thread the page has not shown yet: under Scheduled, only with a scheduled email as proof.
function matchesFilter(thread, email) {
  return matchesSearch(thread) && (!list.filter || email?.status === list.filter);
}

// A thread pushed (a new email in it, or read) or answered by a write of this page;
// `email`: the email of it that changed, if that is the news.
export function upsertThread(incoming, { email = null } = {}) {
  const thread = countUnread(incoming);
  if (!list.loaded) {
    return; // the first load will show it
  }
  const known = list.threads.some((item) => item.id === thread.id);
  const last = list.threads.at(-1);
  const older = list.next && last && compareThreads(thread, last) > 0;
  if (!known && (!matchesFilter(thread, email) || older)) {
    // Not in this search or filter, or older than what is loaded: "Load more" brings it.
    return;
  }
  merge([thread]);
  renderThreadList();
  if (email) {
    emailChanged(email);
  }
}

// An email changed (pushed, or answered to this page's change). One that left the schedule
// (sent, or canceled) may leave its thread with nothing waiting, but another may still
// wait: the Scheduled list's first page is asked again, and a thread shown within its span
// but missing from it leaves. Several changes in a burst ask once.
export function emailChanged(email) {
  if (list.filter === "scheduled" && email?.scheduled_for && email.status !== "scheduled") {
    clearTimeout(list.recheckTimer);
    list.recheckTimer = setTimeout(recheckFilter, 300);
  }
}

async function recheckFilter() {
  const url = listUrl();
  if (list.request) {
    return; // a first page is on its way: it is the answer
  }
  let page;
  try {
    page = await getJSON(url);
  } catch {
    return; // the next load shows the change
  }
  if (listUrl() !== url || list.request) {
    return;
  }
  const threads = (page.email_threads ?? []).map(countUnread);
  const found = new Set(threads.map((thread) => thread.id));
  const last = threads.at(-1);
  const beyondPage = (thread) => page.next && last && compareThreads(thread, last) > 0;
  list.threads = list.threads.filter((thread) => found.has(thread.id) || beyondPage(thread));
  merge(threads);
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

export function applyEmailFilter(filter) {
  for (const button of ui.filters) {
    button.setAttribute("aria-pressed", String(button.dataset.emailFilter === filter));
  }
  if (filter !== list.filter) {
    list.filter = filter;
    loadThreads();
  }
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
  for (const button of ui.filters) {
    button.addEventListener("click", () => applyEmailFilter(button.dataset.emailFilter));
  }
}
