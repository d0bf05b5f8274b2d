// Saved replies: the button beside the reply box, or "/" typed into an empty box, opens a
// searchable list of the team's saved replies (GET /api/saved_replies?conversation=<id>,
// whose "text" is the reply filled in for this contact and the person writing); choosing
// one puts that text in the box, to be read over and sent. Closing the list without
// choosing gives a typed "/" back.

import { getJSON } from "./api.js";
import { replyBox } from "./composer.js";
import { setupDialog } from "./forms.js";
import { writingNote } from "./notes.js";
import { byId } from "./page.js";
import { h } from "./render.js";
import { state } from "./state.js";
import { listOf, teamUrls } from "./team-data.js";

const ui = {
  button: byId("saved-replies-button"),
  dialog: byId("saved-replies-dialog"),
  search: byId("saved-replies-search"),
  list: byId("saved-replies-list"),
  status: byId("saved-replies-status"),
};

const picker = { replies: [], error: "", chosen: false, fromSlash: false, request: null };

function matching(query) {
  const needle = query.trim().toLowerCase();
  if (!needle) {
    return picker.replies;
  }
  return picker.replies.filter((reply) =>
    [reply.title, reply.body].some((text) => String(text ?? "").toLowerCase().includes(needle)),
  );
}

function preview(text) {
  const line = String(text ?? "").replace(/\s+/g, " ").trim();
  return line.length > 90 ? `${line.slice(0, 89)}…` : line;
}

function renderReplies() {
  const replies = matching(ui.search.value);
  ui.list.replaceChildren(
    ...replies.map((reply) =>
      h(
        "li",
        {},
        h(
          "button",
          { type: "button", className: "saved-reply", "data-reply-id": reply.id },
          h("span", { className: "saved-reply-title" }, reply.title),
          h("span", { className: "saved-reply-text" }, preview(reply.text ?? reply.body)),
        ),
      ),
    ),
  );
  if (picker.request) {
    ui.status.textContent = "Loading saved replies…";
  } else if (picker.error) {
    ui.status.textContent = picker.error;
  } else if (!picker.replies.length) {
    ui.status.textContent = "No saved replies yet: an admin adds them.";
  } else if (!replies.length) {
    ui.status.textContent = `No saved replies match “${ui.search.value.trim()}”.`;
  } else {
    ui.status.textContent = "";
  }
}

async function loadReplies(conversationId) {
  const request = new AbortController();
  picker.request?.abort();
  picker.request = request;
  picker.error = "";
  renderReplies();
  try {
    const url = `${teamUrls.savedReplies}?${new URLSearchParams({ conversation: conversationId })}`;
    picker.replies = listOf(await getJSON(url, { signal: request.signal }), "saved_replies");
  } catch (error) {
    if (error.name === "AbortError") {
      return;
    }
    picker.replies = [];
    picker.error = error.message;
  } finally {
    if (picker.request === request) {
      picker.request = null;
      renderReplies();
    }
  }
}

export function openSavedReplies({ fromSlash = false } = {}) {
  if (!state.selectedId || ui.dialog.open) {
    return;
  }
  picker.chosen = false;
  picker.fromSlash = fromSlash;
  ui.search.value = "";
  ui.dialog.showModal();
  ui.search.focus();
  loadReplies(state.selectedId);
}

function choose(id) {
  const reply = picker.replies.find((candidate) => String(candidate.id) === id);
  if (!reply) {
    return;
  }
  picker.chosen = true;
  ui.dialog.close();
  const box = replyBox.body;
  box.focus();
  box.setRangeText(reply.text ?? reply.body, box.selectionStart, box.selectionEnd, "end");
  box.dispatchEvent(new Event("input", { bubbles: true }));
}

function onClosed() {
  if (!picker.chosen && picker.fromSlash && !replyBox.body.value) {
    replyBox.body.value = "/";
  }
  replyBox.body.focus();
}

function moveFocus(event) {
  const buttons = [...ui.list.querySelectorAll("button")];
  const index = buttons.indexOf(document.activeElement);
  if (event.key === "ArrowDown") {
    event.preventDefault();
    buttons[Math.min(index + 1, buttons.length - 1)]?.focus();
  } else if (event.key === "ArrowUp") {
    event.preventDefault();
    if (index <= 0) {
      ui.search.focus();
    } else {
      buttons[index - 1].focus();
    }
  } else if (event.key === "Enter" && document.activeElement === ui.search && buttons.length) {
    event.preventDefault();
    choose(buttons[0].dataset.replyId);
  }
}

export function setupSavedReplies() {
  if (!ui.dialog) {
    return;
  }
  setupDialog(ui.dialog, { onClose: onClosed });
  ui.button.addEventListener("click", () => openSavedReplies());
  ui.search.addEventListener("input", renderReplies);
  ui.dialog.addEventListener("keydown", moveFocus);
  ui.list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-reply-id]");
    if (button) {
      choose(button.dataset.replyId);
    }
  });
  // "/" as the first thing typed in an empty reply box (a note's box is left alone).
  replyBox.body.addEventListener("input", (event) => {
    if (replyBox.body.value === "/" && event.data === "/" && !writingNote()) {
      replyBox.body.value = "";
      openSavedReplies({ fromSlash: true });
    }
  });
}
