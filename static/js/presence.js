// Presence: which teammates have the open thread in front of them and who is typing in it,
// told over the inbox's websocket (live.js) and never stored.
//
// This page says what its person is doing: "viewing" when a thread shows and again every
// few seconds while it stays on screen in a visible tab (a heartbeat: a page can vanish
// without a word), "typing" now and then while the reply box changes, "left" when the
// thread closes or the page goes. The server names the sender (messaging/consumers.py);
// every page keeps what it hears about the others, lets it lapse a few seconds after the
// last heartbeat, and names them under the open thread's title.
//
// The conversation thread and the email thread each have a heading; a page may have one of
// each open, and reports the one on screen. thread.js and email-thread.js say what opens
// and closes (reportViewing, reportLeft), composer.js reports typing, live-events.js hands
// over the connection and the events.

import { root } from "./page.js";
import { h } from "./render.js";

const HEARTBEAT_EVERY = 3_000;
const TYPING_EVERY = 2_000;
// A teammate's heartbeat every 3 s keeps them shown; two missed ones and they are gone.
const VIEWING_LASTS = 8_000;
const TYPING_LASTS = 4_000;
// How often the page checks what is on screen, sends a due heartbeat and lets lapsed
// teammates go: often enough that a switch of view or a reconnection shows within a second.
const CHECK_EVERY = 1_000;
// Beyond this many names, the line counts the rest.
const NAMES_SHOWN = 3;

const me = root.dataset.userId;
let connection = null; // live.js's, once started
// heading element -> the id of the thread open under it
const openThreads = new Map();
let reported = null; // {id, heading}: the thread this page last said it was viewing
let viewingSentAt = -Infinity;
let typingSentAt = -Infinity;
// conversation id -> Map(user id -> {name, viewingUntil, typingUntil}), about teammates only
const teammates = new Map();

const line = h("p", { className: "presence-line", "aria-live": "polite" });

function say(type, conversationId) {
  return connection?.send({ type, conversation_id: conversationId }) ?? false;
}

function shownThread() {
  for (const [heading, id] of openThreads) {
    if (heading.checkVisibility()) {
      return { id, heading };
    }
  }
  return null;
}

// What is on screen now against what this page last said: a thread that went away is left,
// a new one is announced at once, the same one gets its heartbeat when due.
function update() {
  const shown = shownThread();
  const now = performance.now();
  if (reported?.id !== shown?.id) {
    if (reported) {
      say("left", reported.id);
    }
    viewingSentAt = -Infinity;
  }
  reported = shown;
  const due = now - viewingSentAt >= HEARTBEAT_EVERY;
  if (shown && due && document.visibilityState === "visible" && say("viewing", shown.id)) {
    viewingSentAt = now;
  }
  render();
}

// A thread opened under `heading` (the element that holds its title).
export function reportViewing(id, heading) {
  openThreads.set(heading, id);
  update();
}

// The thread under `heading` closed.
export function reportLeft(heading) {
  openThreads.delete(heading);
  update();
}

// The reply box changed: the person is writing in the thread on screen.
export function reportTyping() {
  const now = performance.now();
  if (!reported || now - typingSentAt < TYPING_EVERY) {
    return;
  }
  if (say("typing", reported.id)) {
    typingSentAt = now;
  }
}

// {"type": "presence", "conversation_id", "user": {"id", "name"}, "activity"} from the
// websocket. This person's own other tabs are not news to them.
export function handlePresence(event) {
  const id = event.conversation_id;
  const userId = event.user?.id;
  if (!id || userId === undefined || userId === null || String(userId) === me) {
    return;
  }
  const key = String(userId);
  let people = teammates.get(id);
  if (event.activity === "left") {
    people?.delete(key);
  } else if (event.activity === "viewing" || event.activity === "typing") {
    if (!people) {
      people = new Map();
      teammates.set(id, people);
    }
    const now = performance.now();
    const known = people.get(key);
    people.set(key, {
      name: event.user.name || "A teammate",
      // Typing is done with the thread open.
      viewingUntil: now + VIEWING_LASTS,
      typingUntil: event.activity === "typing" ? now + TYPING_LASTS : (known?.typingUntil ?? 0),
    });
  }
  if (people?.size === 0) {
    teammates.delete(id);
  }
  render();
}

function forgetLapsed(now) {
  for (const [id, people] of teammates) {
    for (const [key, person] of people) {
      if (person.viewingUntil <= now) {
        people.delete(key);
      }
    }
    if (people.size === 0) {
      teammates.delete(id);
    }
  }
}

// "Ada Lovelace", "Ada Lovelace and Ben Okafor", "Ada, Ben and Cy", "... and 2 others".
function listNames(names) {
  if (names.length === 1) {
    return names[0];
  }
  const shown = names.length > NAMES_SHOWN ? names.slice(0, NAMES_SHOWN - 1) : names.slice(0, -1);
  const rest = names.length - shown.length;
  const last = names.length > NAMES_SHOWN ? `${rest} others` : names.at(-1);
  return `${shown.join(", ")} and ${last}`;
}

function describe(people, now) {
  const byName = [...people].sort((a, b) => a.name.localeCompare(b.name));
  const typing = byName.filter((person) => person.typingUntil > now).map((person) => person.name);
  const viewing = byName.filter((person) => person.typingUntil <= now).map((person) => person.name);
  const parts = [];
  if (typing.length) {
    parts.push(`${listNames(typing)} ${typing.length === 1 ? "is" : "are"} typing…`);
  }
  if (viewing.length) {
    parts.push(`${listNames(viewing)} ${viewing.length === 1 ? "is" : "are"} viewing`);
  }
  return parts.join(" · ");
}

function render() {
  const now = performance.now();
  forgetLapsed(now);
  if (!reported) {
    line.textContent = "";
    return;
  }
  if (line.parentElement !== reported.heading) {
    line.textContent = "";
    reported.heading.append(line);
  }
  const text = describe(teammates.get(reported.id)?.values() ?? [], now);
  // Unchanged text is left alone, so that a screen reader hears a change only once.
  if (line.textContent !== text) {
    line.textContent = text;
  }
}

// connection: live.js's, whose send(data) answers whether the frame went out.
export function startPresence(live) {
  connection = live;
  setInterval(update, CHECK_EVERY);
  document.addEventListener("visibilitychange", update);
  // A closing tab says so; if the frame is lost, the server says it when the socket drops.
  window.addEventListener("pagehide", () => {
    if (reported) {
      say("left", reported.id);
      reported = null;
    }
  });
  // Back from the back/forward cache: the thread on screen is announced again.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) {
      viewingSentAt = -Infinity;
      update();
    }
  });
}
