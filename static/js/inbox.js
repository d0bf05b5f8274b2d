// The inbox page: conversation list, thread, reply box, the two compose dialogs, the
// Emails view, and the live updates that keep them current.
//
// What the page shows is drawn from `state` by the functions of render.js. Records reach
// state three ways, all merged the same way (upsertConversation, upsertMessage): HTTP
// pages, the answers to the page's own writes, and events pushed over the websocket. After
// each (re)connection the page fetches what it may have missed, so a dropped connection
// never loses a message; without a websocket at all, everything still works over HTTP.

// Static imports end with ";" so that collectstatic can give them hashed names
// (ManifestStaticFilesStorage.support_js_module_import_aggregation).
import { getJSON, postJSON } from "./api.js";
import { createEmailsView } from "./emails.js";
import { clearErrors, setBusy, setupDialog, showErrors } from "./forms.js";
import { connectLive, liveUrl } from "./live.js";
import * as render from "./render.js";
import { characterCount, countSegments } from "./segments.js";

const root = document.getElementById("inbox");
const byId = (id) => document.getElementById(id);
const withId = (template, placeholder, id) => template.replace(placeholder, encodeURIComponent(id));

const urls = {
  conversations: root.dataset.conversationsUrl,
  conversation: (id) => withId(root.dataset.conversationUrl, "CONVERSATION_ID", id),
  messages: (id) => withId(root.dataset.messagesUrl, "CONVERSATION_ID", id),
  newMessages: (id, since) => {
    const url = withId(root.dataset.newMessagesUrl, "CONVERSATION_ID", id);
    return `${url}?since=${encodeURIComponent(since)}`;
  },
  read: (id) => withId(root.dataset.readUrl, "CONVERSATION_ID", id),
  retry: (id) => withId(root.dataset.retryUrl, "MESSAGE_ID", id),
  sendMessage: root.dataset.sendMessageUrl,
  sendEmail: root.dataset.sendEmailUrl,
  emails: root.dataset.emailsUrl,
  email: (id) => withId(root.dataset.emailUrl, "EMAIL_ID", id),
};
const BODY_MAX_LENGTH = Number(root.dataset.bodyMaxLength);
// The same test as hatch.contacts: digits and phone punctuation mean a phone number (SMS).
const PHONE_LIKE = /^\+?[\d\s().\-/]+$/;
const FAILED_STATUSES = new Set(["failed", "undelivered"]);
const FINAL_EMAIL_STATUSES = new Set(["delivered", "bounced", "dropped", "failed"]);
// Without a websocket (a proxy that refuses upgrades), the page still catches up this often.
const POLL_WITHOUT_LIVE = 30_000;
const narrowScreen = window.matchMedia("(max-width: 720px)");

const ui = {
  list: byId("conversation-list"),
  listScroll: byId("list-scroll"),
  listStatus: byId("list-status"),
  loadMore: byId("load-more-conversations"),
  searchForm: byId("search-form"),
  search: byId("search-input"),
  filters: [...document.querySelectorAll("button[data-filter]")],
  threadEmpty: byId("thread-empty"),
  threadView: byId("thread-view"),
  threadTitle: byId("thread-title"),
  threadSubtitle: byId("thread-subtitle"),
  threadChannel: byId("thread-channel"),
  threadScroll: byId("thread-scroll"),
  threadStatus: byId("thread-status"),
  loadOlder: byId("load-older"),
  messageList: byId("message-list"),
  backButton: byId("back-button"),
  replyForm: byId("reply-form"),
  replyBody: byId("reply-body"),
  replyCounter: byId("reply-counter"),
  newButton: byId("new-conversation-button"),
  newDialog: byId("new-conversation-dialog"),
  newForm: byId("new-conversation-form"),
  newCounter: byId("new-conversation-counter"),
  emailButton: byId("compose-email-button"),
  emailDialog: byId("compose-email-dialog"),
  emailForm: byId("compose-email-form"),
  sectionButtons: [...document.querySelectorAll("button[data-section]")],
  conversationsHeading: byId("conversations-heading"),
  liveIndicator: byId("live-indicator"),
  toast: byId("toast"),
};

const state = {
  section: "conversations", // or "emails"
  conversations: [], // newest activity first, as the API orders them
  listNext: null,
  listRequest: null, // {controller, more} of the list request in flight
  listPushed: new Map(), // conversations pushed while a first page was loading
  query: "",
  filter: "", // "", "sms", "internal" or "failed"
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
  sentEmails: new Map(), // id -> status, of the emails sent from this page
};

// Merging: the same record may arrive as an HTTP answer and as a pushed event, in either
// order. A message's updated_at says which copy is newer; a conversation's activity time.

function newerMessage(existing, incoming) {
  if (!existing) {
    return incoming;
  }
  return Date.parse(incoming.updated_at) >= Date.parse(existing.updated_at) ? incoming : existing;
}

function newerConversation(existing, incoming) {
  if (!existing) {
    return incoming;
  }
  return Date.parse(incoming.last_message_date) >= Date.parse(existing.last_message_date)
    ? incoming
    : existing;
}

function compareActivity(a, b) {
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

const mergeConversations = (existing, incoming) =>
  render.mergeByKey(existing, incoming, "conversation_id", newerConversation, compareActivity);

function mergeMessages(existing, incoming) {
  const now = performance.now();
  for (const message of incoming) {
    if (!state.firstSeen.has(message.id)) {
      state.firstSeen.set(message.id, now);
    }
  }
  return render.mergeByKey(existing, incoming, "id", newerMessage, compareMessages);
}

// The conversation list.

function renderList() {
  render.reconcile(
    ui.list,
    state.conversations.map((conversation) => {
      const selected = conversation.conversation_id === state.selectedId;
      return {
        key: conversation.conversation_id,
        signature: JSON.stringify([conversation, selected]),
        build: () => render.conversationItem(conversation, { selected }),
      };
    }),
  );
  ui.loadMore.hidden = !state.listNext;
  reobserve(ui.loadMore);
}

function setListStatus(text, retry = null) {
  ui.listStatus.replaceChildren(text);
  if (retry) {
    const button = render.h("button", { type: "button", className: "link-button" }, "Try again");
    button.addEventListener("click", retry);
    ui.listStatus.append(" ", button);
  }
}

const FILTER_NAMES = { sms: "SMS", internal: "internal", failed: "failed" };

function emptyListText() {
  if (state.conversations.length) {
    return "";
  }
  if (state.query) {
    return `No conversations match “${state.query}”.`;
  }
  if (state.filter) {
    return `No ${FILTER_NAMES[state.filter]} conversations.`;
  }
  return "No conversations yet. Start one with New conversation.";
}

function listUrl() {
  const params = new URLSearchParams();
  if (state.query) {
    params.set("q", state.query);
  }
  if (state.filter === "failed") {
    params.set("status", "failed");
  } else if (state.filter) {
    params.set("channel", state.filter);
  }
  return params.size ? `${urls.conversations}?${params}` : urls.conversations;
}

// `refresh` fetches the first page again and merges it into what is shown (a catch-up);
// otherwise the first page replaces the list (a new search or filter), or `more` appends.
async function loadConversations({ more = false, refresh = false } = {}) {
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
    const conversations = page.conversations.map(readIfOpen);
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
  return [conversation.reply_to, conversation.own_contact, conversation.preview]
    .filter(Boolean)
    .some((text) => text.toLowerCase().includes(needle));
}

function isChannelFilter() {
  return state.filter === "sms" || state.filter === "internal";
}

// A conversation the page has not shown yet: the failed filter needs the failed message
// itself as proof, the search a match in what the summary holds.
function matchesFilter(conversation, message) {
  if (isChannelFilter() && conversation.channel !== state.filter) {
    return false;
  }
  if (state.filter === "failed" && !FAILED_STATUSES.has(message?.status)) {
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
  const conversation = readIfOpen(incoming);
  const id = conversation.conversation_id;
  if (id === state.selectedId) {
    state.conversation = newerConversation(state.conversation, conversation);
    renderThreadHeader();
  }
  if (state.listRequest && !state.listRequest.more && matchesFilter(conversation, message)) {
    state.listPushed.set(id, newerConversation(state.listPushed.get(id), conversation));
  }
  if (!belongsInList(conversation, message)) {
    return;
  }
  state.conversations = mergeConversations(state.conversations, [conversation]);
  renderList();
  setListStatus(emptyListText());
}

async function refreshConversation(id) {
  try {
    upsertConversation(await getJSON(urls.conversation(id)));
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

function applyFilter(filter) {
  for (const button of ui.filters) {
    button.setAttribute("aria-pressed", String(button.dataset.filter === filter));
  }
  if (filter !== state.filter) {
    state.filter = filter;
    loadConversations();
  }
}

// The thread.

function renderThreadHeader() {
  const conversation = state.conversation;
  if (!conversation) {
    ui.threadTitle.textContent = "Conversation";
    ui.threadSubtitle.textContent = "";
    ui.threadChannel.hidden = true;
    return;
  }
  const sms = conversation.channel === "sms";
  ui.threadTitle.textContent = render.displayContact(conversation.reply_to);
  ui.threadSubtitle.textContent = sms
    ? `SMS from ${render.displayContact(conversation.own_contact)}`
    : `Internal messages as ${conversation.own_contact}`;
  ui.threadChannel.className = `badge badge-${conversation.channel}`;
  ui.threadChannel.textContent = render.channelLabel(conversation.channel);
  ui.threadChannel.hidden = false;
  updateCounter(ui.replyBody, ui.replyCounter, sms);
}

function outgoingOf(id) {
  return state.outgoing.get(id) ?? [];
}

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
      return note || retrying ? { ...message, note, retrying } : message;
    });
  const own = outgoing.map(({ sentAt, ...reply }) => reply);
  return [...stored, ...own];
}

// "bottom" shows the newest message; "stick" follows new messages when the reader is at
// the bottom and otherwise leaves the view where it is; "keep" keeps what the reader sees
// in place while an older page is added on top.
function renderThread(scroll = "stick") {
  const box = ui.threadScroll;
  const fromBottom = box.scrollHeight - box.scrollTop;
  const top = box.scrollTop;
  const atBottom = fromBottom - box.clientHeight < 80;
  render.reconcile(ui.messageList, render.threadEntries(threadMessages()));
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

function setThreadStatus(text) {
  ui.threadStatus.textContent = text;
}

function showThreadPane() {
  root.dataset.view = "thread";
  ui.threadEmpty.hidden = true;
  ui.threadView.hidden = false;
  if (state.conversation) {
    upsertConversation(state.conversation);
  }
}

function saveDraft() {
  if (state.selectedId) {
    state.drafts.set(state.selectedId, ui.replyBody.value);
  }
}

async function openConversation(id, { push = false } = {}) {
  if (push) {
    history.pushState({ conversationId: id, fromList: true }, "", `?c=${encodeURIComponent(id)}`);
  }
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
  ui.replyBody.value = state.drafts.get(id) ?? "";
  clearErrors(ui.replyForm);
  renderThread("bottom");
  setThreadStatus("Loading messages…");
  if (narrowScreen.matches) {
    ui.threadTitle.focus();
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

function closeConversation() {
  saveDraft();
  state.threadRequest?.abort();
  const previous = state.selectedId;
  state.selectedId = null;
  state.conversation = null;
  state.messages = [];
  state.threadNext = null;
  ui.threadView.hidden = true;
  ui.threadEmpty.hidden = false;
  root.dataset.view = "list";
  renderList();
  if (previous) {
    ui.list.querySelector(`[data-conversation-id="${CSS.escape(previous)}"]`)?.focus();
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
  state.messages = mergeMessages(state.messages, [message]);
  if (!FAILED_STATUSES.has(message.status)) {
    state.notes.delete(message.id);
  }
  setThreadStatus("");
  renderThread("stick");
}

// After a (re)connection: what changed while the page was not listening. The list's first
// page, and in the open thread every message newer than the newest one shown plus the
// newest page again (statuses that moved while away).
async function catchUp() {
  const work = [loadConversations({ refresh: true }), emails.catchUp()];
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
  }
  await Promise.allSettled(work);
}

function currentUrl() {
  const params = new URLSearchParams(window.location.search);
  return {
    section: params.get("view") === "emails" ? "emails" : "conversations",
    conversation: params.get("c"),
    email: params.get("e"),
  };
}

// Composing: the live segment count, the reply box and the new-conversation form.

function updateCounter(textarea, output, sms) {
  output.hidden = !sms;
  if (!sms) {
    output.textContent = "";
    return;
  }
  const body = textarea.value;
  const count = countSegments(body);
  const characters = characterCount(body);
  output.textContent = render.segmentSummary(count, characters, BODY_MAX_LENGTH);
  output.classList.toggle("is-over", characters > BODY_MAX_LENGTH);
  output.classList.toggle("is-multipart", count.segments > 1);
}

function isPhoneLike(text) {
  return PHONE_LIKE.test(text.trim()) && /\d/.test(text);
}

function updateNewConversationCounter() {
  const sms = isPhoneLike(ui.newForm.elements.namedItem("to").value);
  updateCounter(ui.newForm.elements.namedItem("body"), ui.newCounter, sms);
}

function temporaryId() {
  if (crypto.randomUUID) {
    return `tmp-${crypto.randomUUID()}`;
  }
  // randomUUID needs a secure context; getRandomValues does not.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `tmp-${[...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

// One Idempotency-Key per composed message: sending the same form again after an answer
// was lost reuses it, so the server stores the message once; an edit names a new message.
function formSendKey(form) {
  if (!form.dataset.sendKey) {
    form.dataset.sendKey = temporaryId().slice("tmp-".length);
  }
  return form.dataset.sendKey;
}

function forgetFormSendKey(event) {
  delete event.currentTarget.dataset.sendKey;
}

function redrawIfOpen(conversationId, scroll = "stick") {
  if (conversationId === state.selectedId) {
    renderThread(scroll);
  }
}

function forgetReply(reply) {
  const replies = outgoingOf(reply.conversation_id).filter((item) => item !== reply);
  if (replies.length) {
    state.outgoing.set(reply.conversation_id, replies);
  } else {
    state.outgoing.delete(reply.conversation_id);
  }
}

// Send one of the page's replies (again): it shows as "pending" until Hatch answers, then
// the stored message takes its place; a refusal stays on it with the reason and a Retry.
async function deliver(reply) {
  reply.status = "pending";
  reply.error = "";
  reply.sentAt = performance.now();
  redrawIfOpen(reply.conversation_id, "bottom");
  try {
    // "from" keeps the reply in this thread: a conversation is keyed on both contacts.
    const result = await postJSON(
      urls.sendMessage,
      { to: reply.to_contact, from: reply.from_contact, body: reply.body },
      { idempotencyKey: reply.id },
    );
    forgetReply(reply);
    if (result.message?.conversation_id === state.selectedId) {
      state.messages = mergeMessages(state.messages, [result.message]);
      setThreadStatus("");
    }
    redrawIfOpen(reply.conversation_id);
    refreshConversation(result.conversation_id);
  } catch (error) {
    reply.status = "error";
    reply.error = error.message;
    redrawIfOpen(reply.conversation_id);
  }
}

function sendReply(event) {
  event.preventDefault();
  const conversation = state.conversation;
  const body = ui.replyBody.value;
  if (!conversation || !body.trim()) {
    return;
  }
  clearErrors(ui.replyForm);
  if (characterCount(body) > BODY_MAX_LENGTH) {
    showErrors(ui.replyForm, {
      message: `This message is too long to send: at most ${BODY_MAX_LENGTH} characters.`,
    });
    return;
  }
  const id = conversation.conversation_id;
  const reply = {
    id: temporaryId(),
    conversation_id: id,
    to_contact: conversation.reply_to,
    from_contact: conversation.own_contact,
    body,
    direction: "outbound-api", // as the API spells it (Twilio's word)
    type: conversation.channel,
    status: "pending",
    timestamp: new Date().toISOString(),
    media: [],
    error: "",
    sentAt: performance.now(),
  };
  state.outgoing.set(id, [...outgoingOf(id), reply]);
  state.drafts.delete(id);
  ui.replyBody.value = "";
  updateCounter(ui.replyBody, ui.replyCounter, conversation.channel === "sms");
  setThreadStatus("");
  deliver(reply);
}

// Retry of a message the provider failed: Hatch queues it again (or says why not).
async function retryFailed(id) {
  state.notes.delete(id);
  state.retrying.add(id);
  renderThread("stick");
  try {
    const message = await postJSON(urls.retry(id));
    state.retrying.delete(id);
    upsertMessage(message);
    refreshConversation(message.conversation_id);
  } catch (error) {
    state.retrying.delete(id);
    state.notes.set(id, error.message);
    renderThread("stick");
  }
}

function onMessageAction(event) {
  const button = event.target.closest("button[data-action]");
  const item = button?.closest("[data-message-id]");
  if (!item) {
    return;
  }
  const id = item.dataset.messageId;
  const reply = outgoingOf(state.selectedId).find((candidate) => candidate.id === id);
  if (button.dataset.action === "retry") {
    if (reply) {
      deliver(reply);
    } else {
      retryFailed(id);
    }
  } else if (button.dataset.action === "discard" && reply) {
    forgetReply(reply);
    renderThread("stick");
  }
  // The button is redrawn away; the reply box is where the person goes next.
  ui.replyBody.focus();
}

async function startConversation(event) {
  event.preventDefault();
  const form = ui.newForm;
  clearErrors(form);
  setBusy(form, true);
  try {
    const result = await postJSON(
      urls.sendMessage,
      {
        to: form.elements.namedItem("to").value,
        body: form.elements.namedItem("body").value,
      },
      { idempotencyKey: formSendKey(form) },
    );
    ui.newDialog.close();
    form.reset();
    delete form.dataset.sendKey;
    updateNewConversationCounter();
    ui.search.value = "";
    state.query = "";
    applyFilter("");
    showSection("conversations");
    await loadConversations();
    await openConversation(result.conversation_id, { push: true });
    if (!narrowScreen.matches) {
      ui.replyBody.focus();
    }
  } catch (error) {
    showErrors(form, error);
    if (!ui.newDialog.open) {
      showToast(`Message not sent: ${error.message}`);
    }
  } finally {
    setBusy(form, false);
  }
}

// Email.

function addressList(text) {
  return text
    .split(/[,;]/)
    .map((part) => part.trim())
    .filter(Boolean);
}

async function sendEmail(event) {
  event.preventDefault();
  const form = ui.emailForm;
  const value = (name) => form.elements.namedItem(name).value;
  const payload = {
    to_email: value("to_email").trim(),
    subject: value("subject"),
    body: value("body"),
  };
  if (value("html_content").trim()) {
    payload.html_content = value("html_content");
  }
  for (const name of ["cc", "bcc"]) {
    const addresses = addressList(value(name));
    if (addresses.length) {
      payload[name] = addresses;
    }
  }
  if (value("reply_to").trim()) {
    payload.reply_to = value("reply_to").trim();
  }
  clearErrors(form);
  setBusy(form, true);
  try {
    const result = await postJSON(urls.sendEmail, payload, {
      idempotencyKey: formSendKey(form),
    });
    ui.emailDialog.close();
    form.reset();
    delete form.dataset.sendKey;
    // Accepted is not delivered: say "queued", and say the outcome when it is known.
    showToast(`Email to ${result.email?.to_email ?? payload.to_email} is ${result.status}.`);
    if (result.email) {
      state.sentEmails.set(result.email.id, result.email.status);
      emails.upsert(result.email);
    }
  } catch (error) {
    showErrors(form, error);
    if (!ui.emailDialog.open) {
      showToast(`Email not sent: ${error.message}`);
    }
  } finally {
    setBusy(form, false);
  }
}

function emailChanged(email) {
  emails.upsert(email);
  const before = state.sentEmails.get(email.id);
  if (before !== undefined && before !== email.status) {
    state.sentEmails.set(email.id, email.status);
    if (FINAL_EMAIL_STATUSES.has(email.status)) {
      const status = render.emailStatusLabel(email.status).toLowerCase();
      showToast(`Email to ${email.to_email}: ${status}.`);
    }
  }
}

let toastTimer = null;

// The toast is a live region that stays in the page, so that screen readers announce it.
function showToast(text) {
  clearTimeout(toastTimer);
  ui.toast.textContent = text;
  toastTimer = setTimeout(() => {
    ui.toast.textContent = "";
  }, 8000);
}

// Views: Conversations or Emails, in the address bar as ?view=emails (and &e=<email id>).

const emails = createEmailsView({
  urls,
  narrowScreen,
  observe: (element) => reobserve(element),
  onOpen: (id) => {
    const url = `?view=emails&e=${encodeURIComponent(id)}`;
    history.pushState({ emailId: id, fromList: true }, "", url);
    emails.open(id);
  },
});

function showSection(section, { focus = false } = {}) {
  state.section = section;
  root.dataset.section = section;
  for (const button of ui.sectionButtons) {
    if (button.dataset.section === section) {
      button.setAttribute("aria-current", "page");
    } else {
      button.removeAttribute("aria-current");
    }
  }
  if (section === "emails") {
    emails.show();
    if (focus) {
      emails.ui.heading.focus();
    }
  } else {
    if (state.conversation) {
      upsertConversation(state.conversation); // now being read
    }
    if (focus) {
      ui.conversationsHeading.focus();
    }
  }
}

function navigateTo(section) {
  if (section === state.section) {
    return;
  }
  if (section === "emails") {
    const id = emails.selectedId;
    history.pushState({}, "", id ? `?view=emails&e=${encodeURIComponent(id)}` : "?view=emails");
  } else {
    const id = state.selectedId;
    history.pushState({}, "", id ? `?c=${encodeURIComponent(id)}` : window.location.pathname);
  }
  showSection(section, { focus: true });
}

function followUrl() {
  const target = currentUrl();
  showSection(target.section);
  if (target.section === "emails") {
    if (!target.email) {
      emails.close();
    } else if (target.email !== emails.selectedId) {
      emails.open(target.email);
    }
    return;
  }
  if (!target.conversation) {
    closeConversation();
  } else if (target.conversation !== state.selectedId) {
    openConversation(target.conversation);
  } else {
    showThreadPane();
  }
}

// Loading more on scroll: the "Load more" buttons are also the sentinels, watched within
// their scrolling pane. Each is observed again after a page arrives, so that a page too
// short to fill the pane still brings the next one.

const loaders = new Map([
  [ui.loadMore, () => loadConversations({ more: true })],
  [ui.loadOlder, loadOlderMessages],
  [emails.ui.loadMore, () => emails.loadMore()],
]);

function watchWithin(pane) {
  if (!("IntersectionObserver" in window)) {
    return null; // the buttons still work
  }
  return new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting && !entry.target.hidden && !entry.target.disabled) {
          loaders.get(entry.target)?.();
        }
      }
    },
    { root: pane, rootMargin: "200px 0px" },
  );
}

const observers = new Map([
  [ui.loadMore, watchWithin(ui.listScroll)],
  [ui.loadOlder, watchWithin(ui.threadScroll)],
  [emails.ui.loadMore, watchWithin(emails.ui.scroll)],
]);

function reobserve(element) {
  const observer = observers.get(element);
  if (!observer) {
    return;
  }
  observer.unobserve(element);
  if (!element.hidden) {
    observer.observe(element);
  }
}

// Live updates.

function handleEvent(event) {
  switch (event?.type) {
    case "message.created":
    case "message.updated":
      if (event.conversation) {
        upsertConversation(event.conversation, { message: event.message });
      }
      if (event.message) {
        upsertMessage(event.message);
      }
      break;
    case "conversation.updated":
      if (event.conversation) {
        upsertConversation(event.conversation);
      }
      break;
    case "email.created":
    case "email.updated":
      if (event.email) {
        emailChanged(event.email);
      }
      break;
    default:
      break; // an event this page does not know yet
  }
}

const LIVE_TEXT = {
  connecting: ["Connecting…", "Connecting to live updates…"],
  connected: ["Live", "New messages and status changes appear as they happen."],
  offline: ["Offline", "Live updates are off; reconnecting. The inbox still works."],
};

function setLiveState(liveState) {
  root.dataset.live = liveState;
  const [text, title] = LIVE_TEXT[liveState];
  ui.liveIndicator.dataset.state = liveState;
  ui.liveIndicator.title = title;
  ui.liveIndicator.querySelector(".live-text").textContent = text;
}

// Wiring.

ui.list.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-conversation-id]");
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) {
    return; // a new tab or window gets the link's own address
  }
  event.preventDefault();
  if (link.dataset.conversationId !== state.selectedId) {
    openConversation(link.dataset.conversationId, { push: true });
  } else {
    showThreadPane();
  }
});
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

ui.loadOlder.addEventListener("click", loadOlderMessages);
ui.messageList.addEventListener("click", onMessageAction);
ui.backButton.addEventListener("click", () => {
  if (history.state?.fromList) {
    history.back(); // popstate closes the thread
  } else {
    history.pushState({}, "", window.location.pathname);
    closeConversation();
  }
});
emails.ui.back.addEventListener("click", () => {
  if (history.state?.fromList) {
    history.back();
  } else {
    history.pushState({}, "", "?view=emails");
    emails.close();
  }
});
for (const button of ui.sectionButtons) {
  button.addEventListener("click", () => navigateTo(button.dataset.section));
}
window.addEventListener("popstate", followUrl);
document.addEventListener("visibilitychange", () => {
  if (state.conversation) {
    upsertConversation(state.conversation); // read once it is seen
  }
});

ui.replyForm.addEventListener("submit", sendReply);
ui.replyBody.addEventListener("keydown", (event) => {
  // Enter sends and Shift+Enter starts a new line; Enter that confirms an input method's
  // composition (Japanese, Chinese...) belongs to the input method.
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.replyForm.requestSubmit();
  }
});
ui.replyBody.addEventListener("input", () =>
  updateCounter(ui.replyBody, ui.replyCounter, state.conversation?.channel === "sms"),
);

setupDialog(ui.newDialog);
ui.newButton.addEventListener("click", () => {
  clearErrors(ui.newForm);
  ui.newDialog.showModal();
});
ui.newForm.addEventListener("submit", startConversation);
ui.newForm.addEventListener("input", updateNewConversationCounter);
ui.newForm.addEventListener("input", forgetFormSendKey);

setupDialog(ui.emailDialog);
ui.emailButton.addEventListener("click", () => {
  clearErrors(ui.emailForm);
  ui.emailDialog.showModal();
});
ui.emailForm.addEventListener("submit", sendEmail);
ui.emailForm.addEventListener("input", forgetFormSendKey);

updateNewConversationCounter();
loadConversations();
followUrl();
connectLive({
  url: liveUrl(root.dataset.livePath),
  onEvent: handleEvent,
  onState: setLiveState,
  onOpen: catchUp,
});
setInterval(() => {
  if (root.dataset.live !== "connected" && document.visibilityState === "visible") {
    catchUp();
  }
}, POLL_WITHOUT_LIVE);
// Every control works from here on (the page's controls are inert until this module runs).
root.dataset.ready = "true";
