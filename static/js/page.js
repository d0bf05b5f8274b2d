// What every part of the inbox page shares and nothing changes: the page's root element and
// the API addresses its data attributes give, the screen width that decides one pane or
// two, and the toast that any part may speak through.

export const root = document.getElementById("inbox");
export const byId = (id) => document.getElementById(id);
const withId = (template, placeholder, id) => template.replace(placeholder, encodeURIComponent(id));

export const urls = {
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
export const BODY_MAX_LENGTH = Number(root.dataset.bodyMaxLength);
export const narrowScreen = window.matchMedia("(max-width: 720px)");

const toast = byId("toast");
let toastTimer = null;

// The toast is a live region that stays in the page, so that screen readers announce it.
export function showToast(text) {
  clearTimeout(toastTimer);
  toast.textContent = text;
  toastTimer = setTimeout(() => {
    toast.textContent = "";
  }, 8000);
}
