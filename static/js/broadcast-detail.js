// One broadcast, opened from the list: its status, why it is paused, its progress and every
// count in words, when it should finish and any warning, the text it sends, and Pause,
// Resume and Cancel (Cancel asks first, in a dialog). It follows the list's copy of the
// broadcast, so live progress reaches it too (broadcastChanged).

import { getJSON, postJSON } from "./api.js";
import { broadcastById, selectInList, upsertBroadcast } from "./broadcast-list.js";
import { byId, root, showMessage, showToast, urls } from "./broadcast-page.js";
import {
  channelWords,
  countRows,
  countsWords,
  finishWords,
  handledCount,
  plural,
  progressWords,
  statusWords,
} from "./broadcast-words.js";
import { setupDialog } from "./forms.js";
import { fullTime, h } from "./render.js";
import { whenText } from "./schedule.js";

const ui = {
  section: byId("broadcast-detail"),
  name: byId("detail-name"),
  meta: byId("detail-meta"),
  status: byId("detail-status"),
  progress: byId("detail-progress"),
  progressText: byId("detail-progress-text"),
  pauseReason: byId("detail-pause-reason"),
  finish: byId("detail-finish"),
  warning: byId("detail-warning"),
  counts: byId("detail-counts"),
  subject: byId("detail-subject"),
  body: byId("detail-body"),
  error: byId("detail-error"),
  pause: byId("pause-button"),
  resume: byId("resume-button"),
  cancel: byId("cancel-button"),
  cancelDialog: byId("cancel-dialog"),
  cancelText: byId("cancel-text"),
  cancelConfirm: byId("cancel-confirm"),
};

let openId = null;

export const openedBroadcastId = () => openId;

function metaLine(broadcast) {
  const parts = [channelWords(broadcast.channel)];
  if (broadcast.created_by) {
    parts.push(`by ${broadcast.created_by.name}`);
  }
  const line = [parts.join(" ")];
  if (broadcast.send_at) {
    line.push(`to go from ${whenText(new Date(broadcast.send_at))}`);
  }
  return h("span", {}, `${line.join(", ")} · made `, fullTime(broadcast.created_at));
}

function drawCounts(counts) {
  const rows = countRows(counts).map(([term, count, meaning]) =>
    h(
      "div",
      { className: count ? "count-row" : "count-row is-zero" },
      h("dt", {}, term, meaning ? h("span", { className: "count-meaning" }, meaning) : null),
      h("dd", {}, count.toLocaleString("en")),
    ),
  );
  rows.push(
    h(
      "div",
      { className: "count-row count-total" },
      h("dt", {}, "Recipients listed"),
      h("dd", {}, counts.total.toLocaleString("en")),
    ),
  );
  ui.counts.replaceChildren(...rows);
}

function drawDetail(broadcast) {
  const { counts, status } = broadcast;
  ui.name.textContent = broadcast.name;
  ui.meta.replaceChildren(metaLine(broadcast));
  ui.status.textContent = statusWords(broadcast);
  ui.status.dataset.status = status;
  ui.progress.max = Math.max(counts.total, 1);
  ui.progress.value = handledCount(counts);
  ui.progressText.textContent = `${progressWords(counts)}: ${countsWords(counts)}.`;
  // The API's reason is a sentence ("Paused by hand.", a daily limit reached and when it
  // resets).
  showMessage(ui.pauseReason, status === "paused" ? broadcast.pause_reason || "Paused." : "");
  showMessage(ui.finish, finishWords(broadcast));
  showMessage(ui.warning, broadcast.warning);
  drawCounts(counts);
  showMessage(ui.subject, broadcast.channel === "email" ? broadcast.subject : "");
  ui.body.textContent = broadcast.body;
  ui.pause.hidden = !["preparing", "sending"].includes(status);
  ui.resume.hidden = status !== "paused";
  ui.cancel.hidden = ["done", "canceled"].includes(status);
}

// A copy of a broadcast has arrived (an answer, an event): drawn if it is the open one.
export function broadcastChanged(broadcast) {
  if (broadcast.id === openId) {
    drawDetail(broadcast);
  }
}

// Fetch the open broadcast again: after a (re)connection, and after a refusal, so that the
// page shows how it stands rather than what it believed.
export async function refreshOpen() {
  const id = openId;
  if (!id) {
    return;
  }
  try {
    broadcastChanged(upsertBroadcast(await getJSON(urls.broadcast(id))));
  } catch (error) {
    if (openId === id) {
      showMessage(ui.error, error.message);
    }
  }
}

export async function openBroadcast(id, { focus = true } = {}) {
  const switched = openId !== id;
  openId = id;
  selectInList(id);
  root.dataset.pane = "detail";
  ui.section.hidden = false;
  if (switched) {
    showMessage(ui.error, "");
    const known = broadcastById(id);
    if (known) {
      drawDetail(known);
    } else {
      ui.name.textContent = "Loading…";
    }
  }
  if (focus) {
    ui.section.focus();
  }
  await refreshOpen();
}

export function closeDetail() {
  openId = null;
  selectInList(null);
  ui.section.hidden = true;
}

// Pause, resume or cancel the open broadcast; `then` is the control that takes the focus
// once the clicked one is gone.
async function act(action, button, then, done) {
  const id = openId;
  showMessage(ui.error, "");
  button.disabled = true;
  try {
    const kept = upsertBroadcast(await postJSON(urls[action](id)));
    broadcastChanged(kept);
    showToast(done(kept));
    if (openId === id) {
      (then.hidden ? ui.section : then).focus();
    }
  } catch (error) {
    // Refused (a 409): it moved on meanwhile (a teammate, a daily limit, its end). The
    // API's sentence says so; the broadcast is then shown as it stands.
    showMessage(ui.error, error.message);
    if (error.status === 409) {
      await refreshOpen();
    }
  } finally {
    button.disabled = false;
  }
}

function askToCancel() {
  const broadcast = broadcastById(openId);
  if (!broadcast) {
    return;
  }
  const waiting = broadcast.counts.scheduled + broadcast.counts.queued;
  const left = waiting
    ? `The ${plural(waiting, "message", "messages")} not yet sent will not go.`
    : "Nothing more of it will be sent.";
  ui.cancelText.textContent = `“${broadcast.name}”: ${left} What has gone stays sent.`;
  ui.cancelDialog.showModal();
}

export function setupDetail() {
  ui.pause.addEventListener("click", () =>
    act("pause", ui.pause, ui.resume, (b) => `“${b.name}” is paused.`),
  );
  ui.resume.addEventListener("click", () =>
    act("resume", ui.resume, ui.pause, (b) => `“${b.name}” goes on.`),
  );
  ui.cancel.addEventListener("click", askToCancel);
  setupDialog(ui.cancelDialog);
  ui.cancelConfirm.addEventListener("click", () => {
    ui.cancelDialog.close();
    act("cancel", ui.cancel, ui.section, (b) => `“${b.name}” is canceled.`);
  });
}
