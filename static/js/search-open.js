// Opening what the search box found (search.js), through the inbox's own routing: a message
// or a note opens its conversation, an email or a note on an email its thread, scrolled to
// that item and highlighted for a moment. A message older than the thread's first page is
// reached through the thread's own "Load older messages", a page at a time, up to
// OLDER_PAGES_MAX pages. A contact opens their latest conversation with the contact panel
// beside it (the inbox shows a contact there), else their latest email thread.

import { getJSON } from "./api.js";
import { openThreadId } from "./email-thread.js";
import { byId, showToast, urls } from "./page.js";
import { state } from "./state.js";
import { setThreadStatus } from "./thread.js";

// 20 pages of 50: a thousand messages back. Past that the person scrolls up themselves,
// and is told so.
const OLDER_PAGES_MAX = 20;
const HIGHLIGHT_MS = 2000;
// How long a note (fetched apart from the thread) or an email may take to be drawn.
const APPEAR_WITHIN_MS = 5000;
const CONTACT_HISTORY_LOOKED_AT = 20;

const ui = {
  messageList: byId("message-list"),
  loadOlder: byId("load-older"),
  threadStatus: byId("thread-status"),
  emails: byId("thread-emails"),
  contactPanel: byId("contact-panel"),
  contactToggle: byId("contact-toggle"),
};

const hooks = { openConversation: async () => {}, openEmailThread: async () => {} };

// A newer click wins over an opening still on its way.
let latestOpening = 0;

const itemSelector = (result) => {
  const attribute = { message: "data-message-id", email: "data-email-id", note: "data-note-id" };
  return `[${attribute[result.kind]}="${CSS.escape(result.id)}"]`;
};

// The node `selector` names in `container`, once drawn; null if it is not within the wait.
function drawn(container, selector) {
  const found = container.querySelector(selector);
  if (found) {
    return Promise.resolve(found);
  }
  return new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      const node = container.querySelector(selector);
      if (node) {
        done(node);
      }
    });
    const timer = setTimeout(() => done(null), APPEAR_WITHIN_MS);
    function done(node) {
      observer.disconnect();
      clearTimeout(timer);
      resolve(node);
    }
    observer.observe(container, { childList: true, subtree: true });
  });
}

function highlight(item) {
  item.scrollIntoView({ block: "center" });
  // Taken off and put back, so that a second visit plays the animation again.
  item.classList.remove("search-hit");
  void item.offsetWidth;
  item.classList.add("search-hit");
  setTimeout(() => item.classList.remove("search-hit"), HIGHLIGHT_MS);
  // Keyboard and screen reader users land on it too.
  item.tabIndex = -1;
  item.focus({ preventScroll: true });
}

// One older page, as the thread's own button loads it (thread.js draws it, keeping the view
// where it is). Settles once no older page is on its way.
function loadOlderPage() {
  return new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (!state.olderRequest) {
        observer.disconnect();
        resolve();
      }
    });
    // thread.js marks the list busy while a page loads, and not busy once it is in.
    observer.observe(ui.messageList, { attributes: true, attributeFilter: ["aria-busy"] });
    ui.loadOlder.click();
    if (!state.olderRequest) {
      observer.disconnect();
      resolve(); // nothing started: the caller sees that nothing changed
    }
  });
}

// "found", "beyond" (past OLDER_PAGES_MAX pages), "missing" (the thread's start reached),
// or "stopped" (another conversation opened, a page failed, or a newer click).
async function loadUntilShown(conversationId, messageId, stillWanted) {
  const shown = () => state.messages.some((message) => message.id === messageId);
  const here = () => stillWanted() && state.selectedId === conversationId;
  const searching = "Looking for the message in older pages…";
  try {
    for (let pages = 0; !shown(); pages += 1) {
      if (!here()) {
        return "stopped";
      }
      if (!state.threadNext) {
        // With no message at all, the thread did not load: it says why.
        return state.messages.length ? "missing" : "stopped";
      }
      if (pages === OLDER_PAGES_MAX) {
        return "beyond";
      }
      setThreadStatus(searching);
      const before = state.threadNext;
      await loadOlderPage();
      if (state.threadNext === before && !shown()) {
        return "stopped"; // the page failed: the thread says why
      }
    }
    return "found";
  } finally {
    if (ui.threadStatus.textContent === searching) {
      setThreadStatus("");
    }
  }
}

async function showInConversation(result, stillWanted) {
  const id = result.conversation_id;
  const isOpen = state.section === "conversations" && state.selectedId === id;
  if (!isOpen || state.threadRequest) {
    await hooks.openConversation(id);
  }
  if (!stillWanted() || state.selectedId !== id) {
    return;
  }
  if (result.kind === "message") {
    const outcome = await loadUntilShown(id, result.id, stillWanted);
    if (outcome === "beyond") {
      const loaded = state.messages.length.toLocaleString();
      showToast(
        `That message is further back than the ${loaded} messages loaded. ` +
          "Scroll up to load older ones.",
      );
    } else if (outcome === "missing") {
      showToast("That message is no longer in this conversation.");
    }
    if (outcome !== "found") {
      return;
    }
  }
  const item = await drawn(ui.messageList, itemSelector(result));
  if (!stillWanted() || state.selectedId !== id) {
    return;
  }
  if (item) {
    highlight(item);
  } else {
    showToast("That note is no longer in this conversation.");
  }
}

async function showInEmailThread(result, stillWanted) {
  const id = result.conversation_id;
  if (state.section !== "emails" || openThreadId() !== id) {
    await hooks.openEmailThread(id);
  }
  // An email thread comes whole: no older pages to load.
  const item = await drawn(ui.emails, itemSelector(result));
  if (!stillWanted() || openThreadId() !== id) {
    return;
  }
  if (item) {
    highlight(item);
  } else {
    const what = result.kind === "note" ? "note" : "email";
    showToast(`That ${what} is no longer in this thread.`);
  }
}

async function showContact(result, stillWanted) {
  let page;
  try {
    const params = new URLSearchParams({ page_size: CONTACT_HISTORY_LOOKED_AT });
    page = await getJSON(`${urls.contactTimeline(result.id)}?${params}`);
  } catch (error) {
    showToast(error.message);
    return;
  }
  if (!stillWanted()) {
    return;
  }
  // Newest first. The contact panel shows beside a conversation, so one is preferred.
  const items = page.timeline ?? [];
  const conversation = items.find((item) => item.channel !== "email" && item.conversation_id);
  const thread = items.find((item) => item.channel === "email" && item.thread_id);
  if (conversation) {
    await hooks.openConversation(conversation.conversation_id);
    const panelClosed = ui.contactPanel.dataset.open !== "true";
    if (stillWanted() && panelClosed && !ui.contactToggle.hidden) {
      ui.contactToggle.click(); // as the Contact button opens it
    }
  } else if (thread) {
    await hooks.openEmailThread(thread.thread_id);
  } else {
    const name = String(result.title ?? "").trim() || "This contact";
    showToast(`${name} has no conversations or emails yet.`);
  }
}

// result: one of GET /api/search's results.
export function openResult(result) {
  latestOpening += 1;
  const opening = latestOpening;
  const stillWanted = () => opening === latestOpening;
  if (result.kind === "contact") {
    return showContact(result, stillWanted);
  }
  if (!result.conversation_id) {
    return Promise.resolve();
  }
  return result.kind === "email" || result.channel === "email"
    ? showInEmailThread(result, stillWanted)
    : showInConversation(result, stillWanted);
}

// given.openConversation(id), given.openEmailThread(id): open it as a click in a list
// would (routing.js), each a promise settled once its first page is shown.
export function setupSearchOpening(given) {
  Object.assign(hooks, given);
}
