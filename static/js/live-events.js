// Live updates: what the websocket pushes (live.js is the connection itself) merged into
// the list, the thread and the Emails view, and the header's live indicator.
//
// Records pushed are merged exactly like HTTP answers. After each (re)connection the page
// fetches what it may have missed, so a dropped connection never loses a message; without
// a websocket at all, everything still works over HTTP and the page polls now and then.

import { activityCreated } from "./activity.js";
import { reportOutcome } from "./compose-email.js";
import { catchUpThread as catchUpEmailThread, upsertThreadEmail } from "./email-thread.js";
import { catchUpThreads, upsertThread } from "./emails.js";
import { loadConversations, upsertConversation } from "./list.js";
import { connectLive, liveUrl } from "./live.js";
import { noteCreated } from "./notes.js";
import { notifyFor } from "./notifications.js";
import { byId, root, showToast } from "./page.js";
import { handlePresence, startPresence } from "./presence.js";
import { partyLabel } from "./render.js";
import { teamRecordChanged } from "./team-state.js";
import { catchUpThread, upsertMessage } from "./thread.js";
import { readElsewhere } from "./unread.js";

// Without a websocket (a proxy that refuses upgrades), the page still catches up this often.
const POLL_WITHOUT_LIVE = 30_000;

const liveIndicator = byId("live-indicator");

function handleEvent(event) {
  notifyFor(event);
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
      if (event.thread) {
        upsertThread(event.thread, { email: event.email });
        teamRecordChanged("email", event.thread);
      }
      if (event.email) {
        upsertThreadEmail(event.email, { created: event.type === "email.created" });
        reportOutcome(event.email);
        if (event.type === "email.created" && event.email.direction === "inbound") {
          announceEmail(event.email, event.thread);
        }
      }
      break;
    case "email_thread.updated":
      if (event.thread) {
        upsertThread(event.thread);
        teamRecordChanged("email", event.thread);
      }
      break;
    case "conversation.read":
      readElsewhere(event);
      break;
    case "note.created":
      noteCreated(event.note);
      break;
    case "activity.created":
      activityCreated(event.activity);
      break;
    case "presence":
      handlePresence(event);
      break;
    default:
      break; // an event this page does not know yet
  }
}

// A received email is news wherever the person is: say who it is from, by name once the
// contact has one.
function announceEmail(email, thread) {
  const who = partyLabel(thread?.contact, email.from_email).title;
  showToast(`New email from ${who}: ${email.subject || "(no subject)"}`);
}

const LIVE_TEXT = {
  connecting: ["Connecting…", "Connecting to live updates…"],
  connected: ["Live", "New messages and status changes appear as they happen."],
  offline: ["Offline", "Live updates are off; reconnecting. The inbox still works."],
};

function setLiveState(liveState) {
  root.dataset.live = liveState;
  const [text, title] = LIVE_TEXT[liveState];
  liveIndicator.dataset.state = liveState;
  liveIndicator.title = title;
  liveIndicator.querySelector(".live-text").textContent = text;
}

// After a (re)connection: what changed while the page was not listening. The list's first
// page, the Emails view's, the open thread's newest messages and the open email thread.
async function catchUp() {
  const work = [
    loadConversations({ refresh: true }),
    catchUpThreads(),
    catchUpEmailThread(),
    ...catchUpThread(),
  ];
  await Promise.allSettled(work);
}

export function startLiveUpdates() {
  const connection = connectLive({
    url: liveUrl(root.dataset.livePath),
    onEvent: handleEvent,
    onState: setLiveState,
    onOpen: catchUp,
  });
  startPresence(connection);
  setInterval(() => {
    if (root.dataset.live !== "connected" && document.visibilityState === "visible") {
      catchUp();
    }
  }, POLL_WITHOUT_LIVE);
}
