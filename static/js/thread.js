// The thread: the open conversation's messages, oldest first, with this page's replies on
// their way after them; opening and closing a conversation, older pages, and the messages
// pushed or caught up while it is open. Its header is thread-header.js, its reply box
// composer.js, sending replies.js, and changing or canceling a scheduled message
// scheduled-edits.js.

import { getJSON } from "./api.js";
import { restoreDraft, saveDraft } from "./composer.js";
import { failureReasonOf, onFailureReasons } from "./failure-reasons.js";
import { focusConversation, refreshConversation, renderList, upsertConversation } from "./list.js";
import { byId, narrowScreen, root, urls } from "./page.js";
import { loadOnScroll, reobserve } from "./paging.js";
import { reportLeft, reportViewing } from "./presence.js";
import { reconcile } from "./render.js";
import { statusLabel, threadEntries } from "./render-thread.js";
import { scheduledEdits } from "./scheduled-edits.js";
import { FAILED_STATUSES, mergeMessages, outgoingOf, state } from "./state.js";
import { onExtrasChanged, threadOpened, withExtras } from "./thread-extras.js";
import { renderThreadHeader, threadTitle } from "./thread-header.js";

const ui = {
  threadEmpty: byId("thread-empty"),
  threadView: byId("thread-view"),
  threadScroll: byId("thread-scroll"),
  threadStatus: byId("thread-status"),
  loadOlder: byId("load-older"),
  messageList: byId("message-list"),
};
export const messageList = ui.messageList;

// Edit and Cancel on the thread's scheduled messages.
const scheduledMessages = scheduledEdits({
  list: ui.messageList,
  attribute: "data-message-id",
  noun: "message",
  fields: ["body"],
  urls: { record: urls.message, cancel: urls.messageCancel },
  find: (id) => state.messages.find((message) => message.id === id) ?? null,
  apply: (message) => {
    upsertMessage(message);
    // The list's Scheduled filter may lose (or gain) the conversation.
    refreshConversation(message.conversation_id, { message });
  },
  redraw: () => renderThread("stick"),
  statusLabel,
});

// What the thread shows: the stored messages, then this page's replies still on their way
// (or refused). A reply's pushed copy can arrive before the answer to its send; until that
// answer names it, a stored message that turned up after the send began, from us, with the
// same text, is taken to be that copy and not drawn twice.
function threadMessages() {
  const outgoing = outgoingOf(state.selectedId);
  const hidden = new Set();
  for (const reply of outgoing) {
    if (reply.status !== "pending") {
      continue;
    }
    const copy = state.messages.find(
      (message) =>
        !hidden.has(message.id) &&
        message.direction !== "inbound" &&
        message.body === reply.body &&
        (state.firstSeen.get(message.id) ?? 0) >= reply.sentAt,
    );
    if (copy) {
      hidden.add(copy.id);
    }
  }
  const stored = state.messages
    .filter((message) => !hidden.has(message.id))
    .map((message) => {
      const note = state.notes.get(message.id);
      const retrying = state.retrying.has(message.id);
      const schedule = scheduledMessages.view(message);
      // Why a failed SMS failed, in words (once the tables are in: onFailureReasons).
      const failure = failureReasonOf("sms", message);
      return note || retrying || schedule || failure
        ? { ...message, note, retrying, schedule, failure }
        : message;
    });
  const own = outgoing.map(({ sentAt, files, ...reply }) => reply);
  return [...stored, ...own];
}

// "bottom" shows the newest message; "stick" follows new messages when the reader is at
// the bottom and otherwise leaves the view where it is; "keep" keeps what the reader sees
// in place while an older page is added on top.
export function renderThread(scroll = "stick") {
  const box = ui.threadScroll;
  const fromBottom = box.scrollHeight - box.scrollTop;
  const top = box.scrollTop;
  const atBottom = fromBottom - box.clientHeight < 80;
  reconcile(
    ui.messageList,
    threadEntries(withExtras(threadMessages(), state.selectedId), {
      editValues: scheduledMessages.values,
    }),
  );
  ui.loadOlder.hidden = !state.threadNext;
  if (scroll === "bottom" || (scroll === "stick" && atBottom)) {
    box.scrollTop = box.scrollHeight;
  } else if (scroll === "keep") {
    box.scrollTop = box.scrollHeight - fromBottom;
  } else {
    box.scrollTop = top;
  }
  reobserve(ui.loadOlder);
}

export function setThreadStatus(text) {
  ui.threadStatus.textContent = text;
}

export function showThreadPane() {
  root.dataset.view = "thread";
  ui.threadEmpty.hidden = true;
  ui.threadView.hidden = false;
  if (state.conversation) {
    upsertConversation(state.conversation);
  }
}

export async function openConversation(id) {
  saveDraft();
  state.threadRequest?.abort();
  const request = new AbortController();
  state.threadRequest = request;
  state.selectedId = id;
  state.conversation = state.conversations.find((c) => c.conversation_id === id) ?? null;
  state.messages = [];
  state.threadNext = null;
  state.notes.clear();

  renderList();
  // The whole thread is about to be drawn: not news for a screen reader.
  ui.messageList.setAttribute("aria-busy", "true");
  showThreadPane();
  renderThreadHeader();
  reportViewing(id, threadTitle.parentElement);
  restoreDraft(id);
  renderThread("bottom");
  threadOpened("conversation", id); // its notes and activity
  setThreadStatus("Loading messages…");
  if (narrowScreen.matches) {
    threadTitle.focus();
  }

  try {
    const [conversation, page] = await Promise.all([
      state.conversation ?? getJSON(urls.conversation(id), { signal: request.signal }),
      getJSON(urls.messages(id), { signal: request.signal }),
    ]);
    if (state.selectedId !== id) {
      return;
    }
    upsertConversation(conversation);
    // Messages pushed while the page was loading are kept.
    state.messages = mergeMessages(page.messages, state.messages);
    state.threadNext = page.next;
    renderThread("bottom");
    setThreadStatus(state.messages.length || outgoingOf(id).length ? "" : "No messages yet.");
  } catch (error) {
    if (error.name !== "AbortError") {
      setThreadStatus(error.message);
    }
  } finally {
    if (state.threadRequest === request) {
      state.threadRequest = null;
      ui.messageList.setAttribute("aria-busy", "false");
    }
  }
}

export function closeConversation() {
  saveDraft();
  state.threadRequest?.abort();
  const previous = state.selectedId;
  state.selectedId = null;
  state.conversation = null;
  state.messages = [];
  state.threadNext = null;
  renderThreadHeader();
  ui.threadView.hidden = true;
  reportLeft(threadTitle.parentElement);
  ui.threadEmpty.hidden = false;
  root.dataset.view = "list";
  renderList();
  if (previous) {
    focusConversation(previous);
  }
}

async function loadOlderMessages() {
  const id = state.selectedId;
  const url = state.threadNext;
  if (!url || state.olderRequest || state.threadRequest) {
    return;
  }
  state.olderRequest = true;
  ui.loadOlder.disabled = true;
  ui.messageList.setAttribute("aria-busy", "true");
  try {
    const page = await getJSON(url);
    if (state.selectedId === id) {
      state.messages = mergeMessages(state.messages, page.messages);
      state.threadNext = page.next;
      renderThread("keep");
    }
  } catch (error) {
    setThreadStatus(error.message);
  } finally {
    state.olderRequest = false;
    ui.loadOlder.disabled = false;
    ui.messageList.setAttribute("aria-busy", "false");
    reobserve(ui.loadOlder);
  }
}

export function upsertMessage(message) {
  if (message.conversation_id !== state.selectedId) {
    return;
  }
  scheduledMessages.changed(message);
  state.messages = mergeMessages(state.messages, [message]);
  if (!FAILED_STATUSES.has(message.status)) {
    state.notes.delete(message.id);
  }
  setThreadStatus("");
  renderThread("stick");
}

// After a (re)connection, the open thread's part of the catch-up: every message newer than
// the newest one shown, plus the newest page again (statuses that moved while away).
export function catchUpThread() {
  const work = [];
  const id = state.selectedId;
  if (id && !state.threadRequest) {
    const newest = state.messages.at(-1);
    const fetches = [getJSON(urls.messages(id))];
    if (newest) {
      fetches.push(getJSON(urls.newMessages(id, newest.timestamp)));
    }
    work.push(
      Promise.all(fetches).then((pages) => {
        if (state.selectedId !== id) {
          return;
        }
        const [page, since] = pages;
        state.messages = mergeMessages(state.messages, [
          ...page.messages,
          ...(since?.messages ?? []),
        ]);
        if (!newest) {
          state.threadNext = page.next;
        }
        renderThread("stick");
        if (state.messages.length) {
          setThreadStatus("");
        }
      }),
    );
    work.push(refreshConversation(id));
    threadOpened("conversation", id);
  }
  return work;
}

export function setupThread() {
  scheduledMessages.setup();
  loadOnScroll(ui.loadOlder, ui.threadScroll, loadOlderMessages);
  ui.loadOlder.addEventListener("click", loadOlderMessages);
  onExtrasChanged((id) => {
    if (id === state.selectedId) {
      renderThread("stick");
    }
  });
  onFailureReasons(() => {
    if (state.selectedId) {
      renderThread("stick");
    }
  });
}
