// The inbox page: conversation list, thread, reply box, and the two compose dialogs.
//
// What the page shows is drawn from `state` by the functions of render.js. Live updates
// need only upsertConversation and upsertMessage, exported below: called with the records
// the server pushes, they merge each record and redraw, keeping the reader's place.

// Static imports end with ";" so that collectstatic can give them hashed names
// (ManifestStaticFilesStorage.support_js_module_import_aggregation).
import { getJSON, postJSON } from "./api.js";
import { clearErrors, setBusy, setupDialog, showErrors } from "./forms.js";
import * as render from "./render.js";
import { characterCount, countSegments } from "./segments.js";

const root = document.getElementById("inbox");
const byId = (id) => document.getElementById(id);
const withId = (template, id) => template.replace("CONVERSATION_ID", encodeURIComponent(id));

const urls = {
  conversations: root.dataset.conversationsUrl,
  conversation: (id) => withId(root.dataset.conversationUrl, id),
  messages: (id) => withId(root.dataset.messagesUrl, id),
  sendMessage: root.dataset.sendMessageUrl,
  sendEmail: root.dataset.sendEmailUrl,
};
const BODY_MAX_LENGTH = Number(root.dataset.bodyMaxLength);
// The same test as hatch.contacts: digits and phone punctuation mean a phone number (SMS).
const PHONE_LIKE = /^\+?[\d\s().\-/]+$/;
const narrowScreen = window.matchMedia("(max-width: 720px)");

const ui = {
  list: byId("conversation-list"),
  listStatus: byId("list-status"),
  loadMore: byId("load-more-conversations"),
  searchForm: byId("search-form"),
  search: byId("search-input"),
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
  toast: byId("toast"),
};

const state = {
  conversations: [], // newest activity first, as the API orders them
  listNext: null,
  listRequest: null, // the AbortController of the list request in flight
  query: "",
  selectedId: null,
  conversation: null, // the selected conversation's record, once known
  messages: [], // of the selected conversation, oldest first
  threadNext: null,
  threadRequest: null,
  drafts: new Map(), // unsent replies by conversation, so a reply never follows a switch
};

// Ordering, as the API pages: newest first on (time, id) for conversations, oldest first
// within a thread.

function compareActivity(a, b) {
  const difference = Date.parse(b.last_message_date) - Date.parse(a.last_message_date);
  return difference || (b.conversation_id > a.conversation_id ? 1 : -1);
}

function compareMessages(a, b) {
  const difference = Date.parse(a.timestamp) - Date.parse(b.timestamp);
  return difference || (a.id > b.id ? 1 : -1);
}

function mergeById(existing, incoming, key, compare) {
  const merged = new Map(existing.map((item) => [item[key], item]));
  for (const item of incoming) {
    merged.set(item[key], item);
  }
  return [...merged.values()].sort(compare);
}

// The conversation list.

function renderList() {
  ui.list.replaceChildren(
    ...state.conversations.map((conversation) =>
      render.conversationItem(conversation, {
        selected: conversation.conversation_id === state.selectedId,
      }),
    ),
  );
  ui.loadMore.hidden = !state.listNext;
}

function setListStatus(text, retry = null) {
  ui.listStatus.replaceChildren(text);
  if (retry) {
    const button = render.h("button", { type: "button", className: "link-button" }, "Try again");
    button.addEventListener("click", retry);
    ui.listStatus.append(" ", button);
  }
}

function emptyListText() {
  if (state.conversations.length) {
    return "";
  }
  return state.query
    ? `No conversations match “${state.query}”.`
    : "No conversations yet. Start one with New conversation.";
}

async function loadConversations({ more = false } = {}) {
  state.listRequest?.abort();
  const request = new AbortController();
  state.listRequest = request;
  let url = state.listNext;
  if (!more) {
    const params = new URLSearchParams(state.query ? { q: state.query } : {});
    url = params.size ? `${urls.conversations}?${params}` : urls.conversations;
    setListStatus(state.query ? "Searching…" : "Loading conversations…");
  }
  ui.loadMore.disabled = true;
  ui.list.setAttribute("aria-busy", "true");
  try {
    const page = await getJSON(url, { signal: request.signal });
    state.conversations = more
      ? mergeById(state.conversations, page.conversations, "conversation_id", compareActivity)
      : page.conversations;
    state.listNext = page.next;
    renderList();
    setListStatus(emptyListText());
  } catch (error) {
    if (error.name !== "AbortError") {
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

export function upsertConversation(conversation) {
  state.conversations = mergeById(
    state.conversations,
    [conversation],
    "conversation_id",
    compareActivity,
  );
  if (conversation.conversation_id === state.selectedId) {
    state.conversation = conversation;
    renderThreadHeader();
  }
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

// "bottom" shows the newest message; "stick" follows new messages when the reader is at the
// bottom and otherwise keeps their place; "keep" keeps their place, so that an older page
// added on top does not move what they are reading.
function renderThread(scroll = "stick") {
  const box = ui.threadScroll;
  const fromBottom = box.scrollHeight - box.scrollTop;
  const atBottom = fromBottom - box.clientHeight < 80;
  ui.messageList.replaceChildren(...render.threadItems(state.messages));
  ui.loadOlder.hidden = !state.threadNext;
  const toBottom = scroll === "bottom" || (scroll === "stick" && atBottom);
  box.scrollTop = toBottom ? box.scrollHeight : box.scrollHeight - fromBottom;
}

function setThreadStatus(text) {
  ui.threadStatus.textContent = text;
}

function showThreadPane() {
  root.dataset.view = "thread";
  ui.threadEmpty.hidden = true;
  ui.threadView.hidden = false;
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

  renderList();
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
    state.conversation = conversation;
    renderThreadHeader();
    state.messages = page.messages;
    state.threadNext = page.next;
    renderThread("bottom");
    setThreadStatus(state.messages.length ? "" : "No messages yet.");
  } catch (error) {
    if (error.name !== "AbortError") {
      setThreadStatus(error.message);
    }
  } finally {
    if (state.threadRequest === request) {
      state.threadRequest = null;
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
  if (!url) {
    return;
  }
  ui.loadOlder.disabled = true;
  try {
    const page = await getJSON(url);
    if (state.selectedId === id) {
      state.messages = mergeById(state.messages, page.messages, "id", compareMessages);
      state.threadNext = page.next;
      renderThread("keep");
    }
  } catch (error) {
    setThreadStatus(error.message);
  } finally {
    ui.loadOlder.disabled = false;
  }
}

export function upsertMessage(message) {
  if (message.conversation_id !== state.selectedId) {
    return;
  }
  state.messages = mergeById(state.messages, [message], "id", compareMessages);
  setThreadStatus("");
  renderThread("stick");
}

function currentUrlConversation() {
  return new URLSearchParams(window.location.search).get("c");
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

async function sendReply(event) {
  event.preventDefault();
  const conversation = state.conversation;
  const body = ui.replyBody.value;
  if (!conversation || !body.trim() || ui.replyForm.getAttribute("aria-busy") === "true") {
    return;
  }
  clearErrors(ui.replyForm);
  setBusy(ui.replyForm, true);
  try {
    // "from" keeps the reply in this thread: a conversation is keyed on both contacts.
    const result = await postJSON(urls.sendMessage, {
      to: conversation.reply_to,
      from: conversation.own_contact,
      body,
    });
    state.drafts.delete(conversation.conversation_id);
    if (state.selectedId === conversation.conversation_id && ui.replyBody.value === body) {
      ui.replyBody.value = "";
      updateCounter(ui.replyBody, ui.replyCounter, conversation.channel === "sms");
    }
    upsertMessage(result.message);
    renderThread("bottom");
    refreshConversation(result.conversation_id);
  } catch (error) {
    if (state.selectedId === conversation.conversation_id) {
      showErrors(ui.replyForm, error);
    }
  } finally {
    setBusy(ui.replyForm, false);
  }
}

async function startConversation(event) {
  event.preventDefault();
  const form = ui.newForm;
  clearErrors(form);
  setBusy(form, true);
  try {
    const result = await postJSON(urls.sendMessage, {
      to: form.elements.namedItem("to").value,
      body: form.elements.namedItem("body").value,
    });
    ui.newDialog.close();
    form.reset();
    updateNewConversationCounter();
    ui.search.value = "";
    state.query = "";
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
    const result = await postJSON(urls.sendEmail, payload);
    ui.emailDialog.close();
    form.reset();
    showToast(`Email to ${result.email?.to_email ?? payload.to_email} is ${result.status}.`);
  } catch (error) {
    showErrors(form, error);
    if (!ui.emailDialog.open) {
      showToast(`Email not sent: ${error.message}`);
    }
  } finally {
    setBusy(form, false);
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

ui.loadOlder.addEventListener("click", loadOlderMessages);
ui.backButton.addEventListener("click", () => {
  if (history.state?.fromList) {
    history.back(); // popstate closes the thread
  } else {
    history.pushState({}, "", window.location.pathname);
    closeConversation();
  }
});
window.addEventListener("popstate", () => {
  const id = currentUrlConversation();
  if (!id) {
    closeConversation();
  } else if (id !== state.selectedId) {
    openConversation(id);
  } else {
    showThreadPane();
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

setupDialog(ui.emailDialog);
ui.emailButton.addEventListener("click", () => {
  clearErrors(ui.emailForm);
  ui.emailDialog.showModal();
});
ui.emailForm.addEventListener("submit", sendEmail);

updateNewConversationCounter();
loadConversations();
const initialConversation = currentUrlConversation();
if (initialConversation) {
  openConversation(initialConversation);
}
// Every control works from here on (the page's controls are inert until this module runs).
root.dataset.ready = "true";
