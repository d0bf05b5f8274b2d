// Desktop notifications, once the person turns them on (the header's "Turn on
// notifications" asks the browser's permission; the page never asks by itself): a message
// or email received in a conversation assigned to them or to nobody, unless they are
// reading that very conversation, and every note that mentions them. Clicking one opens
// its conversation. A mention also shows in the page's toast, permission or not.

import { openThreadId } from "./email-thread.js";
import { byId, root, showToast } from "./page.js";
import { partyLabel } from "./render.js";
import { state } from "./state.js";
import { isMe } from "./team-data.js";

const ui = { button: byId("notifications-button") };
const hooks = { openConversation: () => {}, openEmailThread: () => {} };

const supported = () => "Notification" in window;

function permission() {
  return supported() ? Notification.permission : "unsupported";
}

function renderButton() {
  if (ui.button) {
    ui.button.hidden = permission() !== "default";
  }
}

async function askPermission() {
  if (!supported()) {
    showToast("This browser cannot show notifications.");
    return;
  }
  const answer = await Notification.requestPermission();
  renderButton();
  showToast(
    answer === "granted"
      ? "Notifications are on: new messages for you or nobody, and mentions."
      : "Notifications are blocked; they can be allowed in the browser's site settings.",
  );
}

function forMeOrNobody(record) {
  return !record?.assignee || isMe(record.assignee);
}

function reading(kind, id) {
  if (document.visibilityState !== "visible") {
    return false;
  }
  return kind === "email"
    ? root.dataset.section === "emails" && openThreadId() === id
    : root.dataset.section === "conversations" && state.selectedId === id;
}

function notify({ title, body, kind, id }) {
  if (permission() !== "granted") {
    return;
  }
  let notification;
  try {
    // One per conversation: a newer one replaces the last.
    notification = new Notification(title, { body, tag: `hatch-${id}` });
  } catch {
    return; // some browsers allow them only from a service worker
  }
  notification.addEventListener("click", () => {
    window.focus();
    if (kind === "email") {
      hooks.openEmailThread(id);
    } else {
      hooks.openConversation(id);
    }
    notification.close();
  });
}

function mentioned(event) {
  const note = event.note;
  const conversation = event.conversation ?? {};
  const kind = conversation.channel === "email" ? "email" : "conversation";
  const id = note?.conversation_id ?? conversation.conversation_id ?? conversation.id;
  if (!note || !id) {
    return;
  }
  const author = note.author?.name ?? "A teammate";
  const where = conversation.channel === "email"
    ? conversation.subject || "an email thread"
    : partyLabel(conversation.contact, conversation.reply_to ?? "").title || "a conversation";
  showToast(`${author} mentioned you (${where}): ${note.body}`);
  notify({ title: `${author} mentioned you`, body: note.body, kind, id });
}

// Every pushed event passes here (live-events.js) before the page merges it.
export function notifyFor(event) {
  switch (event?.type) {
    case "mention":
      mentioned(event);
      break;
    case "message.created": {
      const { message, conversation } = event;
      const id = message?.conversation_id;
      if (
        message?.direction === "inbound" &&
        forMeOrNobody(conversation) &&
        !reading("conversation", id)
      ) {
        const who = partyLabel(conversation?.contact, message.from_contact).title;
        notify({ title: `New message from ${who}`, body: message.body, kind: "conversation", id });
      }
      break;
    }
    case "email.created": {
      const { email, thread } = event;
      const id = email?.thread_id;
      if (email?.direction === "inbound" && forMeOrNobody(thread) && !reading("email", id)) {
        const who = partyLabel(thread?.contact, email.from_email).title;
        const subject = email.subject || "(no subject)";
        notify({ title: `New email from ${who}`, body: subject, kind: "email", id });
      }
      break;
    }
    default:
      break;
  }
}

export function setupNotifications(given) {
  Object.assign(hooks, given);
  renderButton();
  ui.button?.addEventListener("click", askPermission);
}
