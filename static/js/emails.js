// The Emails view: the emails Hatch sent, newest first, with their live status, and one
// email's details and provider events.
//
// routing.js owns navigation (which view shows, the address bar, clicks on links) and
// live-events.js the websocket; this module owns the view's state and drawing, and is told
// about pushed emails by upsertEmail().

import { getJSON } from "./api.js";
import { byId, narrowScreen, urls } from "./page.js";
import { loadOnScroll, reobserve } from "./paging.js";
import { h, mergeByKey, reconcile } from "./render.js";
import { emailDetail, emailItem, emailStatusLabel } from "./render-email.js";

// Statuses only move up (emails.models.STATUS_RANK), so of two copies of an email the one
// changed last is the truth.
function newer(existing, incoming) {
  if (!existing) {
    return incoming;
  }
  return Date.parse(incoming.updated_at) >= Date.parse(existing.updated_at)
    ? { ...existing, ...incoming }
    : existing;
}

function compareEmails(a, b) {
  const difference = Date.parse(b.timestamp) - Date.parse(a.timestamp);
  return difference || (b.id > a.id ? 1 : -1);
}

const ui = {
  view: byId("emails-view"),
  list: byId("email-list"),
  scroll: byId("emails-scroll"),
  status: byId("emails-status"),
  loadMore: byId("load-more-emails"),
  empty: byId("email-empty"),
  detailView: byId("email-detail-view"),
  title: byId("email-title"),
  subtitle: byId("email-subtitle"),
  badge: byId("email-status-badge"),
  detail: byId("email-detail"),
};
export const emailList = ui.list;

const state = {
  emails: [],
  next: null,
  loaded: false,
  request: null,
  selectedId: null,
  email: null, // the selected email, with its events once fetched
  detailRequest: null,
  refreshTimer: null,
};

function merge(incoming) {
  state.emails = mergeByKey(state.emails, incoming, "id", newer, compareEmails);
}

function renderList() {
  reconcile(
    ui.list,
    state.emails.map((email) => {
      const selected = email.id === state.selectedId;
      return {
        key: email.id,
        signature: JSON.stringify([
          email.status,
          email.subject,
          email.to_email,
          email.timestamp,
          selected,
        ]),
        build: () => emailItem(email, { selected }),
      };
    }),
  );
  ui.loadMore.hidden = !state.next;
  reobserve(ui.loadMore);
  if (state.loaded && !state.emails.length) {
    ui.status.textContent = "No emails yet. Send one with Compose email.";
  } else if (state.loaded) {
    ui.status.textContent = "";
  }
}

function renderDetail() {
  const email = state.email;
  ui.empty.hidden = Boolean(email);
  ui.detailView.hidden = !email;
  if (!email) {
    return;
  }
  ui.title.textContent = email.subject;
  ui.subtitle.textContent = `To ${email.to_email}`;
  ui.badge.className = `badge email-status email-status-${email.status}`;
  ui.badge.textContent = emailStatusLabel(email.status);
  ui.badge.hidden = false;
  ui.detail.replaceChildren(...emailDetail(email).flat().filter(Boolean));
}

async function load({ more = false } = {}) {
  if (more && (!state.next || state.request)) {
    return;
  }
  state.request?.abort();
  const request = new AbortController();
  state.request = request;
  ui.loadMore.disabled = true;
  ui.list.setAttribute("aria-busy", "true");
  if (!state.loaded) {
    ui.status.textContent = "Loading emails…";
  }
  try {
    const page = await getJSON(more ? state.next : urls.emails, { signal: request.signal });
    merge(page.emails);
    // A first page leaves the cursor of pages already loaded alone.
    if (more || !state.loaded) {
      state.next = page.next;
    }
    state.loaded = true;
    renderList();
  } catch (error) {
    if (error.name !== "AbortError") {
      ui.status.textContent = error.message;
    }
  } finally {
    if (state.request === request) {
      state.request = null;
      ui.loadMore.disabled = false;
      ui.list.setAttribute("aria-busy", "false");
    }
  }
}

async function fetchDetail(id) {
  state.detailRequest?.abort();
  const request = new AbortController();
  state.detailRequest = request;
  try {
    const email = await getJSON(urls.email(id), { signal: request.signal });
    if (state.selectedId === id) {
      state.email = newer(state.email, email);
      // Events are only in the detail: keep the fetched ones even if a pushed copy of the
      // email was newer.
      state.email.events = email.events;
      renderDetail();
    }
    merge([email]);
    renderList();
  } catch (error) {
    if (error.name !== "AbortError" && state.selectedId === id) {
      ui.detail.replaceChildren(h("p", { className: "form-error" }, error.message));
    }
  } finally {
    if (state.detailRequest === request) {
      state.detailRequest = null;
    }
  }
}

export function openEmail(id) {
  state.selectedId = id;
  const known = state.emails.find((email) => email.id === id);
  state.email = known ? { ...known, events: null } : null;
  ui.view.dataset.pane = "detail";
  if (!state.email) {
    ui.empty.hidden = true;
    ui.detailView.hidden = false;
    ui.title.textContent = "Email";
    ui.subtitle.textContent = "";
    ui.badge.hidden = true;
    ui.detail.replaceChildren(h("p", { className: "muted" }, "Loading email…"));
  } else {
    renderDetail();
  }
  renderList();
  if (narrowScreen.matches) {
    ui.title.focus();
  }
  return fetchDetail(id);
}

export function closeEmail() {
  const previous = state.selectedId;
  state.detailRequest?.abort();
  state.selectedId = null;
  state.email = null;
  ui.view.dataset.pane = "list";
  renderDetail();
  renderList();
  if (previous) {
    ui.list.querySelector(`[data-email-id="${CSS.escape(previous)}"]`)?.focus();
  }
}

// A pushed email (email.created / email.updated), or one this page just sent.
export function upsertEmail(email) {
  if (state.selectedId === email.id && state.email) {
    const events = state.email.events;
    state.email = newer(state.email, email);
    state.email.events = events;
    renderDetail();
    // Events come only with the detail: fetch it again once a burst of updates settles.
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(() => fetchDetail(email.id), 300);
  }
  if (!state.loaded) {
    return; // the first load will show it
  }
  const known = state.emails.some((item) => item.id === email.id);
  const last = state.emails.at(-1);
  if (!known && state.next && last && compareEmails(email, last) > 0) {
    return; // older than what is loaded: "Load more" brings it
  }
  merge([email]);
  renderList();
}

// After a reconnection: the first page again, and the open email with its events.
export async function catchUpEmails() {
  const work = [];
  if (state.loaded) {
    work.push(load());
  }
  if (state.selectedId) {
    work.push(fetchDetail(state.selectedId));
  }
  await Promise.allSettled(work);
}

export function showEmails() {
  if (!state.loaded && !state.request) {
    load();
  }
}

export function selectedEmailId() {
  return state.selectedId;
}

export function setupEmails() {
  loadOnScroll(ui.loadMore, ui.scroll, () => load({ more: true }));
  ui.loadMore.addEventListener("click", () => load({ more: true }));
}
