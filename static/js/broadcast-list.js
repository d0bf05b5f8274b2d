// The list of broadcasts, newest first: each with its name, channel, status, a progress bar
// of its recipients handled, its counts in a line and when it was made. Records arrive from
// the API's pages and from live progress events, in any order; each id is drawn once, from
// its later copy (broadcast-words.js: laterCopy).

import { getJSON, samePath } from "./api.js";
import { byId, urls } from "./broadcast-page.js";
import {
  channelWords,
  countsWords,
  handledCount,
  laterCopy,
  progressWords,
  statusWords,
} from "./broadcast-words.js";
import { h, listTime, mergeByKey, reconcile, timeElement } from "./render.js";

const list = byId("broadcast-list");
const status = byId("broadcast-list-status");
const loadMoreButton = byId("load-more-broadcasts");

const state = {
  broadcasts: [],
  next: null, // the next page's URL, while there is one
  loaded: false,
  selectedId: null,
};

const newestFirst = (a, b) =>
  b.created_at.localeCompare(a.created_at) || String(b.id).localeCompare(String(a.id));

export function broadcastById(id) {
  return state.broadcasts.find((broadcast) => broadcast.id === id) ?? null;
}

export function selectInList(id) {
  state.selectedId = id;
  drawList();
}

function drawItem(broadcast) {
  const { counts } = broadcast;
  const link = h(
    "a",
    {
      className: "broadcast-link",
      href: `#${broadcast.id}`,
      "aria-current": broadcast.id === state.selectedId ? "true" : null,
    },
    h(
      "span",
      { className: "broadcast-item-top" },
      h("span", { className: "broadcast-name" }, broadcast.name),
      h("span", { className: `badge badge-${broadcast.channel}` }, channelWords(broadcast.channel)),
    ),
    h(
      "span",
      { className: "broadcast-status", "data-status": broadcast.status },
      statusWords(broadcast),
    ),
    h("progress", {
      className: "broadcast-progress",
      max: Math.max(counts.total, 1),
      value: handledCount(counts),
      "aria-label": `${broadcast.name}: ${progressWords(counts)}`,
    }),
    h(
      "span",
      { className: "broadcast-item-bottom" },
      h("span", { className: "broadcast-summary" }, countsWords(counts)),
      timeElement(broadcast.created_at, listTime(broadcast.created_at)),
    ),
  );
  return h("li", { className: "broadcast-item", "data-broadcast-id": broadcast.id }, link);
}

export function drawList() {
  reconcile(
    list,
    state.broadcasts.map((broadcast) => ({
      key: broadcast.id,
      // What the item shows; a scheduled one's words change with the clock, so the page
      // draws the list again now and then (broadcasts.js).
      signature: JSON.stringify([
        broadcast.name,
        broadcast.status,
        statusWords(broadcast),
        broadcast.counts,
        broadcast.id === state.selectedId,
      ]),
      build: () => drawItem(broadcast),
    })),
  );
  list.setAttribute("aria-busy", String(!state.loaded));
  if (state.loaded) {
    status.textContent = state.broadcasts.length
      ? ""
      : "No broadcasts yet. Write the first with New broadcast.";
  }
  loadMoreButton.hidden = !state.next;
}

// A broadcast as Hatch now says it is (an answer or an event); the later copy is kept.
// Returns the copy kept.
export function upsertBroadcast(incoming) {
  state.broadcasts = mergeByKey(state.broadcasts, [incoming], "id", laterCopy, newestFirst);
  drawList();
  return broadcastById(incoming.id);
}

// The first page, on opening and after each (re)connection: what changed meanwhile. Pages
// loaded further keep their place.
export async function loadBroadcasts() {
  try {
    const page = await getJSON(urls.broadcasts);
    state.broadcasts = mergeByKey(
      state.broadcasts,
      page.broadcasts,
      "id",
      laterCopy,
      newestFirst,
    );
    if (!state.loaded) {
      state.next = page.next;
    }
    state.loaded = true;
    drawList();
  } catch (error) {
    status.textContent = error.message;
  }
}

async function loadMore() {
  if (!state.next) {
    return;
  }
  loadMoreButton.disabled = true;
  try {
    const page = await getJSON(samePath(state.next));
    state.broadcasts = mergeByKey(
      state.broadcasts,
      page.broadcasts,
      "id",
      laterCopy,
      newestFirst,
    );
    state.next = page.next;
    drawList();
  } catch (error) {
    status.textContent = error.message;
  } finally {
    loadMoreButton.disabled = false;
  }
}

export function setupList() {
  loadMoreButton.addEventListener("click", loadMore);
}
