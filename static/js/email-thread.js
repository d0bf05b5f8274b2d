// The open email thread: its emails in order, oldest first (render-email.js draws each),
// remote images shown once asked for, each sent email's delivery details on demand, and
// Reply, Reply all and Forward handed to the compose dialog (compose-email.js, through
// the hook inbox.js gives), and Edit and Cancel on an email scheduled to go later
// (scheduled-edits.js). Opening a thread marks it read.

import { getJSON, postJSON } from "./api.js";
import { emailChanged, focusThread, selectThread, threadById, upsertThread } from "./emails.js";
import { failureReasonOf, onFailureReasons } from "./failure-reasons.js";
import { byId, narrowScreen, root, urls } from "./page.js";
import { reportLeft, reportViewing } from "./presence.js";
import { mergeByKey, reconcile } from "./render.js";
import { emailStatusLabel, threadEmail, threadParty } from "./render-email.js";
import { teamEntry } from "./render-team.js";
import { scheduledEdits } from "./scheduled-edits.js";
import { isMe } from "./team-data.js";
import { showTeamState } from "./team-state.js";
import { onExtrasChanged, threadOpened, withExtras } from "./thread-extras.js";
import { setTitle } from "./title.js";

const ui = {
  view: byId("emails-view"),
  empty: byId("email-empty"),
  detailView: byId("email-detail-view"),
  title: byId("email-title"),
  subtitle: byId("email-subtitle"),
  scroll: byId("email-detail"),
  status: byId("email-thread-status"),
  emails: byId("thread-emails"),
};

const open = {
  id: null,
  thread: null, // the thread's summary and its emails, as GET /api/email_threads/<id>
  request: null,
  refreshTimer: null,
  imagesShown: new Set(), // thread ids whose remote images the person asked to see
  events: new Map(), // email id -> its delivery events, once fetched
  detailsOpen: new Set(), // email ids whose delivery details are open
  reading: false,
  hooks: { compose: () => {} },
};

// Edit and Cancel on the thread's scheduled emails.
const scheduledEmails = scheduledEdits({
  list: ui.emails,
  attribute: "data-email-id",
  noun: "email",
  fields: ["subject", "body"],
  urls: { record: urls.email, cancel: urls.emailCancel },
  find: (id) => open.thread?.emails.find((email) => email.id === id) ?? null,
  apply: (email) => {
    upsertThreadEmail(email);
    emailChanged(email);
  },
  redraw: () => renderEmails(),
  statusLabel: emailStatusLabel,
});

export function openThreadId() {
  return open.id;
}

export function isReadingThread() {
  return (
    root.dataset.section === "emails" &&
    open.id !== null &&
    (!narrowScreen.matches || ui.view.dataset.pane === "detail") &&
    document.visibilityState === "visible"
  );
}

const oldestFirst = (a, b) =>
  Date.parse(a.timestamp) - Date.parse(b.timestamp) || (a.id > b.id ? 1 : -1);

// Who the open thread is with, as the tab's title names them.
export function openThreadName() {
  const thread = open.id ? (open.thread ?? threadById(open.id)) : null;
  return thread ? threadParty(thread).title : "";
}

function renderHeader() {
  const thread = open.thread ?? threadById(open.id);
  showTeamState("email", thread);
  if (root.dataset.section === "emails") {
    setTitle({ name: openThreadName() });
  }
  if (!thread) {
    ui.title.textContent = "Email";
    ui.subtitle.textContent = "";
    return;
  }
  ui.title.textContent = thread.subject || "(no subject)";
  const party = threadParty(thread);
  ui.subtitle.textContent = party.detail ? `${party.title} · ${party.detail}` : party.title;
}

function renderEmails() {
  const emails = open.thread?.emails ?? [];
  reconcile(
    ui.emails,
    // The team's notes and activity lines come among the emails, by time.
    withExtras(emails, open.id).map((email) => {
      if (email.kind) {
        return teamEntry(email, { isMine: isMe });
      }
      const drawn = {
        ...email,
        events: open.events.get(email.id) ?? null,
        eventsOpen: open.detailsOpen.has(email.id),
        schedule: scheduledEmails.view(email),
        // Why a bounced, dropped or failed email failed, in words (onFailureReasons).
        failure: failureReasonOf("email", email),
      };
      return {
        key: email.id,
        signature: JSON.stringify(drawn),
        build: () => threadEmail(drawn, scheduledEmails.values(email.id)),
      };
    }),
  );
}

function threadUrl(id) {
  return open.imagesShown.has(id) ? `${urls.emailThread(id)}?images=1` : urls.emailThread(id);
}

async function markRead(id) {
  if (open.reading) {
    return;
  }
  open.reading = true;
  try {
    upsertThread(await postJSON(urls.emailThreadRead(id)));
  } catch {
    // The count comes back with the next copy of the thread; nothing is lost.
  } finally {
    open.reading = false;
  }
}

async function fetchThread(id, { scroll = false } = {}) {
  open.request?.abort();
  const request = new AbortController();
  open.request = request;
  try {
    const thread = await getJSON(threadUrl(id), { signal: request.signal });
    if (open.id !== id) {
      return;
    }
    thread.emails = [...(thread.emails ?? [])].sort(oldestFirst);
    open.thread = thread;
    ui.status.textContent = thread.emails.length ? "" : "No emails in this thread.";
    renderHeader();
    renderEmails();
    if (scroll) {
      ui.scroll.scrollTop = ui.scroll.scrollHeight;
    }
    const { emails, ...summary } = thread;
    upsertThread(summary);
    if (thread.unread_count > 0 && isReadingThread()) {
      markRead(id);
    }
  } catch (error) {
    if (error.name !== "AbortError" && open.id === id) {
      ui.status.textContent = error.message;
    }
  } finally {
    if (open.request === request) {
      open.request = null;
    }
  }
}

export function openThread(id) {
  open.id = id;
  open.thread = null;
  ui.view.dataset.pane = "detail";
  ui.empty.hidden = true;
  ui.detailView.hidden = false;
  ui.status.textContent = "Loading emails…";
  renderHeader();
  renderEmails();
  selectThread(id);
  threadOpened("email", id); // its notes and activity
  reportViewing(id, ui.title.parentElement);
  if (narrowScreen.matches) {
    ui.title.focus();
  }
  return fetchThread(id, { scroll: true });
}

export function closeThread() {
  const previous = open.id;
  open.request?.abort();
  open.id = null;
  open.thread = null;
  if (root.dataset.section === "emails") {
    setTitle({ name: "" });
  }
  ui.view.dataset.pane = "list";
  ui.detailView.hidden = true;
  ui.empty.hidden = false;
  selectThread(null);
  reportLeft(ui.title.parentElement);
  if (previous) {
    focusThread(previous);
  }
}

// A pushed email (email.created / email.updated) or one this page just sent: a status
// change is merged in place; a new email in the open thread brings the thread again (the
// push carries no sanitised HTML), once a burst settles.
export function upsertThreadEmail(email, { created = false } = {}) {
  if (!open.thread || email.thread_id !== open.id) {
    return;
  }
  const known = open.thread.emails.find((item) => item.id === email.id);
  if (known && !created) {
    scheduledEmails.changed(email);
    open.thread.emails = mergeByKey(
      open.thread.emails,
      [email],
      "id",
      (existing, incoming) =>
        Date.parse(incoming.updated_at) >= Date.parse(existing.updated_at)
          ? { ...existing, ...incoming }
          : existing,
      oldestFirst,
    );
    renderEmails();
    if (open.detailsOpen.has(email.id)) {
      fetchEvents(email.id);
    }
    return;
  }
  clearTimeout(open.refreshTimer);
  open.refreshTimer = setTimeout(() => fetchThread(email.thread_id, { scroll: true }), 200);
}

// After a reconnection: the open thread again.
export function catchUpThread() {
  if (open.id) {
    threadOpened("email", open.id);
  }
  return open.id ? fetchThread(open.id) : Promise.resolve();
}

async function fetchEvents(id) {
  try {
    const email = await getJSON(urls.email(id));
    open.events.set(id, email.events ?? []);
    renderEmails();
  } catch (error) {
    open.events.set(id, []);
    ui.status.textContent = error.message;
  }
}

const COMPOSE_ACTIONS = new Set(["reply", "reply-all", "forward"]);

function onAction(event) {
  const button = event.target.closest("button[data-action]");
  const item = event.target.closest("[data-email-id]");
  if (!button || !item || !open.thread) {
    return;
  }
  const email = open.thread.emails.find((candidate) => candidate.id === item.dataset.emailId);
  if (button.dataset.action === "show-images") {
    open.imagesShown.add(open.id);
    button.disabled = true;
    fetchThread(open.id);
    return;
  }
  // Edit and Cancel of a scheduled email are scheduledEmails' own.
  if (email && COMPOSE_ACTIONS.has(button.dataset.action)) {
    open.hooks.compose({ mode: button.dataset.action, email, thread: open.thread });
  }
}

// <details> toggle events do not bubble; they are caught on the way down.
function onDetailsToggle(event) {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.classList.contains("email-delivery")) {
    return;
  }
  const id = details.dataset.deliveryOf;
  if (details.open) {
    open.detailsOpen.add(id);
    if (!open.events.has(id)) {
      fetchEvents(id);
    }
  } else {
    open.detailsOpen.delete(id);
  }
}

// hooks.compose({mode: "reply" | "reply-all" | "forward", email, thread}).
export function setupEmailThread(hooks) {
  Object.assign(open.hooks, hooks);
  scheduledEmails.setup();
  ui.emails.addEventListener("click", onAction);
  ui.emails.addEventListener("toggle", onDetailsToggle, true);
  onExtrasChanged((id) => {
    if (id === open.id) {
      renderEmails();
    }
  });
  onFailureReasons(() => {
    if (open.id) {
      renderEmails();
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (open.thread?.unread_count > 0 && isReadingThread()) {
      markRead(open.id);
    }
  });
}
