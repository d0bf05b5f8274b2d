// Internal notes: the reply box switches between "Reply" (sent to the contact) and "Note"
// (seen by the team only, tinted, and never sent), email threads have a note box of their
// own, and @mentions offer teammates (mentions.js). Notes are fetched when a thread opens,
// pushed live (note.created), and drawn among the messages (thread-extras.js).

import { getJSON, postJSON } from "./api.js";
import { replyBox, replySchedule } from "./composer.js";
import { openThreadId } from "./email-thread.js";
import { clearErrors, setBusy, showErrors } from "./forms.js";
import { attachMentions } from "./mentions.js";
import { byId } from "./page.js";
import { state } from "./state.js";
import { listOf, notesUrl } from "./team-data.js";
import { mergeNotes, onThreadOpened } from "./thread-extras.js";

const ui = {
  modeButtons: [...document.querySelectorAll("button[data-compose-mode]")],
  bodyLabel: document.querySelector('label[for="reply-body"]'),
  send: replyBox.form.querySelector("button[type=submit]"),
  emailForm: byId("thread-note-form"),
  emailBody: byId("thread-note-body"),
};

const WORDS = {
  reply: {
    label: "Type a message",
    placeholder: "Type a message",
  },
  note: {
    label: "Write an internal note",
    placeholder: "Internal note: only your team sees it. @ mentions a teammate",
    send: "Add note",
  },
};

let noteMode = false;
const noteModes = new Map(); // conversation id -> whether its box was writing a note

// Whether the reply box is writing a note (replies.js then leaves the submit to this module).
export function writingNote() {
  return noteMode;
}

export function setNoteMode(note) {
  noteMode = note;
  if (state.selectedId) {
    noteModes.set(state.selectedId, note);
  }
  const words = note ? WORDS.note : WORDS.reply;
  replyBox.form.dataset.mode = note ? "note" : "reply";
  for (const button of ui.modeButtons) {
    button.setAttribute("aria-pressed", String((button.dataset.composeMode === "note") === note));
  }
  if (ui.bodyLabel) {
    ui.bodyLabel.textContent = words.label;
  }
  replyBox.body.placeholder = words.placeholder;
  // A reply with a time chosen is scheduled, and its button says so.
  ui.send.textContent = note ? words.send : replySchedule.submitText();
  clearErrors(replyBox.form);
}

async function loadNotes(kind, id) {
  try {
    mergeNotes(id, listOf(await getJSON(notesUrl(kind, id)), "notes"));
  } catch {
    // The thread reads without its notes; the next opening tries again.
  }
}

// A pushed {"type": "note.created", "note": {...}}, or the answer to this page's own.
export function noteCreated(note) {
  if (note?.conversation_id) {
    mergeNotes(note.conversation_id, [note]);
  }
}

async function postNote({ form, textarea, kind, id }) {
  clearErrors(form);
  const body = textarea.value;
  if (!body.trim()) {
    showErrors(form, { message: "Write the note first." });
    textarea.focus();
    return;
  }
  setBusy(form, true);
  try {
    noteCreated(await postJSON(notesUrl(kind, id), { body }));
    textarea.value = "";
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  } catch (error) {
    showErrors(form, error);
  } finally {
    setBusy(form, false);
    textarea.focus();
  }
}

function submitReplyBoxNote(event) {
  if (!noteMode) {
    return;
  }
  event.preventDefault();
  if (state.selectedId) {
    postNote({
      form: replyBox.form,
      textarea: replyBox.body,
      kind: "conversation",
      id: state.selectedId,
    });
  }
}

function submitEmailNote(event) {
  event.preventDefault();
  const id = openThreadId();
  if (id) {
    postNote({ form: ui.emailForm, textarea: ui.emailBody, kind: "email", id });
  }
}

export function setupNotes() {
  for (const button of ui.modeButtons) {
    button.addEventListener("click", () => {
      setNoteMode(button.dataset.composeMode === "note");
      replyBox.body.focus();
    });
  }
  replyBox.form.addEventListener("submit", submitReplyBoxNote);
  attachMentions(replyBox.body, { enabled: writingNote, idPrefix: "reply-body" });
  if (ui.emailForm) {
    ui.emailForm.addEventListener("submit", submitEmailNote);
    attachMentions(ui.emailBody, { idPrefix: "thread-note-body" });
    ui.emailBody.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        ui.emailForm.requestSubmit();
      }
    });
  }
  onThreadOpened((kind, id) => {
    loadNotes(kind, id);
    // Each conversation keeps its own mode with its draft: a note's draft must never come
    // back as a reply to the contact.
    if (kind === "conversation") {
      setNoteMode(noteModes.get(id) ?? false);
    }
  });
  setNoteMode(false);
}
