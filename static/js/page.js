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
  message: (id) => withId(root.dataset.messageUrl, "MESSAGE_ID", id),
  messageCancel: (id) => withId(root.dataset.messageCancelUrl, "MESSAGE_ID", id),
  sendMessage: root.dataset.sendMessageUrl,
  sendEmail: root.dataset.sendEmailUrl,
  emails: root.dataset.emailsUrl,
  email: (id) => withId(root.dataset.emailUrl, "EMAIL_ID", id),
  emailCancel: (id) => withId(root.dataset.emailCancelUrl, "EMAIL_ID", id),
  emailThreads: root.dataset.emailThreadsUrl,
  emailThread: (id) => withId(root.dataset.emailThreadUrl, "THREAD_ID", id),
  emailThreadRead: (id) => withId(root.dataset.emailThreadReadUrl, "THREAD_ID", id),
  contacts: root.dataset.contactsUrl,
  contact: (id) => withId(root.dataset.contactUrl, "CONTACT_ID", id),
  contactTimeline: (id) => withId(root.dataset.contactTimelineUrl, "CONTACT_ID", id),
  contactMerge: (id) => withId(root.dataset.contactMergeUrl, "CONTACT_ID", id),
  contactsImport: root.dataset.contactsImportUrl,
};
export const BODY_MAX_LENGTH = Number(root.dataset.bodyMaxLength);
// The stylesheet of the frames email HTML is shown in (a hashed name once collected).
export const EMAIL_FRAME_CSS = root.dataset.emailFrameCss;
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
