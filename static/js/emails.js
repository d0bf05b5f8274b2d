// The Emails view: the emails Hatch sent, newest first, with their live status, and one
// email's details and provider events.
//
// inbox.js owns navigation (which view shows, the address bar) and the websocket; this
// module owns the view's state and drawing, and is told about pushed emails by upsert().

import { getJSON } from "./api.js";
import * as render from "./render.js";

const byId = (id) => document.getElementById(id);

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

export function createEmailsView({ urls, narrowScreen, onOpen, observe }) {
  const ui = {
    view: byId("emails-view"),
    heading: byId("emails-heading"),
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
    back: byId("email-back-button"),
  };
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
    state.emails = render.mergeByKey(state.emails, incoming, "id", newer, compareEmails);
  }

  function renderList() {
    render.reconcile(
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
          build: () => render.emailItem(email, { selected }),
        };
      }),
    );
    ui.loadMore.hidden = !state.next;
    observe(ui.loadMore);
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
    ui.badge.textContent = render.emailStatusLabel(email.status);
    ui.badge.hidden = false;
    ui.detail.replaceChildren(...render.emailDetail(email).flat().filter(Boolean));
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
        ui.detail.replaceChildren(render.h("p", { className: "form-error" }, error.message));
      }
    } finally {
      if (state.detailRequest === request) {
        state.detailRequest = null;
      }
    }
  }

  function open(id) {
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
      ui.detail.replaceChildren(render.h("p", { className: "muted" }, "Loading email…"));
    } else {
      renderDetail();
    }
    renderList();
    if (narrowScreen.matches) {
      ui.title.focus();
    }
    return fetchDetail(id);
  }

  function close() {
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
  function upsert(email) {
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
  async function catchUp() {
    const work = [];
    if (state.loaded) {
      work.push(load());
    }
    if (state.selectedId) {
      work.push(fetchDetail(state.selectedId));
    }
    await Promise.allSettled(work);
  }

  ui.loadMore.addEventListener("click", () => load({ more: true }));
  ui.list.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-email-id]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    event.preventDefault();
    onOpen(link.dataset.emailId);
  });

  return {
    ui,
    open,
    close,
    upsert,
    catchUp,
    loadMore: () => load({ more: true }),
    show() {
      if (!state.loaded && !state.request) {
        load();
      }
    },
    get selectedId() {
      return state.selectedId;
    },
  };
}
