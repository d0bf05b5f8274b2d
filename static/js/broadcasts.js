// The Broadcasts page's entry point (templates/broadcasts/broadcasts.html loads it as a
// module). Its parts:
//
//   broadcast-list.js     the broadcasts, newest first, with their progress
//   broadcast-detail.js   the open one: counts in words, Pause, Resume, Cancel
//   broadcast-compose.js  the New broadcast form, and broadcast-preview.js what it would send
//   broadcast-words.js    how all of them say it; broadcast-page.js what they share
//
// This module wires them up: which broadcast is open (its id is the address's #fragment,
// so the browser's Back and a reload keep it), and the live progress the inbox's websocket
// pushes (live.js), merged like any answer. Without the websocket the page still works,
// and catches up now and then.

import { focusCompose, setupCompose } from "./broadcast-compose.js";
import {
  broadcastChanged,
  closeDetail,
  openBroadcast,
  refreshOpen,
  setupDetail,
} from "./broadcast-detail.js";
import { drawList, loadBroadcasts, setupList, upsertBroadcast } from "./broadcast-list.js";
import { byId, root, showToast } from "./broadcast-page.js";
import { connectLive, liveUrl } from "./live.js";

const POLL_WITHOUT_LIVE = 15_000;
// A scheduled broadcast says when it goes ("Scheduled for Tue 8:00 AM") until it does.
const REDRAW_EVERY = 30_000;

const liveIndicator = byId("live-indicator");
const LIVE_TEXT = {
  connecting: ["Connecting…", "Connecting to live updates…"],
  connected: ["Live", "Progress appears as the messages go."],
  offline: ["Offline", "Live updates are off; reconnecting. The page still works."],
};

function setLiveState(liveState) {
  root.dataset.live = liveState;
  const [text, title] = LIVE_TEXT[liveState];
  liveIndicator.dataset.state = liveState;
  liveIndicator.title = title;
  liveIndicator.querySelector(".live-text").textContent = text;
}

function handleEvent(event) {
  if (event?.type === "broadcast.progress" && event.broadcast) {
    broadcastChanged(upsertBroadcast(event.broadcast));
  }
}

function catchUp() {
  return Promise.allSettled([loadBroadcasts(), refreshOpen()]);
}

// The open broadcast, from the address: "#<id>", or none (the New broadcast form).
function route({ focus = true } = {}) {
  const id = decodeURIComponent(window.location.hash.slice(1));
  if (id) {
    openBroadcast(id, { focus });
    return;
  }
  closeDetail();
  root.dataset.pane = "compose";
  if (focus) {
    focusCompose();
  }
}

function showNewBroadcast() {
  if (window.location.hash) {
    window.history.pushState(null, "", window.location.pathname + window.location.search);
  }
  route();
}

function broadcastSent(broadcast, sentence) {
  upsertBroadcast(broadcast);
  showToast(sentence);
  window.location.hash = broadcast.id; // opens it (hashchange)
}

async function start() {
  setupList();
  setupDetail();
  const labels = setupCompose({ onSent: broadcastSent });
  byId("new-broadcast-button").addEventListener("click", showNewBroadcast);
  window.addEventListener("hashchange", () => route());
  route({ focus: false });
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
  setInterval(drawList, REDRAW_EVERY);
  await Promise.allSettled([loadBroadcasts(), labels]);
  // The controls work and the first answers are drawn (the browser tests wait for this).
  root.dataset.ready = "true";
}

start();
