// The Team page's saved replies (templates/team/team.html): the list, and one editor that
// writes a new reply or changes the one being edited, through /api/saved_replies
// (conversations/api.py). Teammates pick these replies in the inbox (saved-replies.js).
//
// The editor's buttons put a variable in at the cursor, and the preview fills the body in
// for a sample contact and the signed-in admin by the rules of conversations/saved_replies.py:
// the API fills a body only for a real conversation, and a preview needs none. The server
// still checks every save; the preview only marks what it could not fill in.
//
// Static imports end with ";" so that collectstatic can give them hashed names.
import { deleteJSON, getJSON, patchJSON, postJSON } from "./api.js";
import { clearErrors, clearErrorsOnInput, personalError, setBusy, showErrors } from "./forms.js";
import { h } from "./render.js";

const root = document.getElementById("team");
const byId = (id) => document.getElementById(id);

const ui = {
  form: byId("reply-form"),
  heading: byId("reply-form-heading"),
  title: byId("reply-title"),
  body: byId("reply-body"),
  variables: byId("reply-variables"),
  preview: byId("reply-preview"),
  previewNote: byId("reply-preview-note"),
  submit: byId("reply-submit"),
  cancel: byId("reply-cancel"),
  list: byId("reply-list"),
  error: byId("replies-error"),
  status: byId("replies-status"),
};

const replyUrl = (id) => root.dataset.savedReplyUrl.replace("REPLY_ID", encodeURIComponent(id));

// What the preview fills in: a sample contact, and the admin writing, as the API names them
// (conversations.selectors.saved_reply_values).
const signedInName = root.dataset.userName ?? "";
const SAMPLE_VALUES = {
  "contact.first_name": "Ada",
  "contact.name": "Ada Lovelace",
  "agent.first_name": (root.dataset.userFirstName ?? "").trim() || signedInName.split(/\s+/)[0],
  "agent.name": signedInName,
};

// ------------------------------------------------------------------------------ preview

// The same grammar as conversations/saved_replies.py: a tag is what lies between "{{" and
// the nearest "}}" on one line; inside, a variable's name and an optional default in
// straight or curly quotes.
const TAG = /\{\{(.*?)\}\}/g;
const INSIDE = /^\s*([^|\s]*)\s*(?:\|\s*([^:\s]*)\s*(?::\s*(.*?))?)?\s*$/s;
const QUOTED = /^(?:"([^"]*)"|'([^']*)'|\u201c([^\u201d]*)\u201d|\u2018([^\u2019]*)\u2019)$/;

// The value a tag stands for, or null when Hatch could not fill it in.
function tagValue(inside) {
  const parts = INSIDE.exec(inside);
  const name = (parts ? parts[1] : inside.trim()).toLowerCase();
  if (!parts || !(name in SAMPLE_VALUES)) {
    return null;
  }
  const [, , filter, argument] = parts;
  let fallback = "";
  if (filter !== undefined) {
    const quoted = filter.toLowerCase() === "default" ? QUOTED.exec(argument ?? "") : null;
    if (!quoted) {
      return null;
    }
    fallback = quoted.slice(1).find((text) => text !== undefined);
  }
  return SAMPLE_VALUES[name] || fallback;
}

function renderPreview() {
  const body = ui.body.value;
  const pieces = [];
  let position = 0;
  let unfilled = 0;
  for (const tag of body.matchAll(TAG)) {
    pieces.push(body.slice(position, tag.index));
    const value = tagValue(tag[1]);
    if (value === null) {
      unfilled += 1;
      pieces.push(h("mark", {}, tag[0]));
    } else {
      pieces.push(value);
    }
    position = tag.index + tag[0].length;
  }
  pieces.push(body.slice(position));
  const empty = !body.trim();
  ui.preview.classList.toggle("muted", empty);
  ui.preview.replaceChildren(...(empty ? ["The reply shows here as you write it."] : pieces));
  ui.previewNote.hidden = unfilled === 0;
}

function insertVariable(name) {
  const box = ui.body;
  box.focus();
  box.setRangeText(`{{${name}}}`, box.selectionStart, box.selectionEnd, "end");
  // As if typed: the preview follows, and an old error under the box goes.
  box.dispatchEvent(new Event("input", { bubbles: true }));
}

// --------------------------------------------------------------------------- the errors

const USE_THE_BUTTONS = "Use the Insert buttons to put in the contact’s name or yours.";

// The API's sentences about a body speak of variables and filters; the page says what a
// person can do about them. Any other sentence is personalError's.
const REPLY_FAULTS = [
  [
    /^(\{\{.*?\}\}) is not a variable Hatch knows/,
    (match) => `Hatch cannot fill in ${match[1]}. ${USE_THE_BUTTONS}`,
  ],
  [/^(\{\{.*?\}\}) names no variable/, (match) => `${match[1]} is empty. ${USE_THE_BUTTONS}`],
  [
    /^The "(\{\{|\}\})" in "(.*?)" (is never closed|closes nothing)/,
    (match) =>
      match[1] === "{{"
        ? `The “{{” in “${match[2]}” is never closed with “}}”. ${USE_THE_BUTTONS}`
        : `The “}}” in “${match[2]}” closes nothing. ${USE_THE_BUTTONS}`,
  ],
  [
    /^(\{\{.*?\}\}): ".*?" is not something a variable can do/,
    (match) =>
      `Hatch does not understand ${match[1]}: after the bar, only a fallback for a missing ` +
      'name can follow, like {{contact.first_name|default:"there"}}.',
  ],
  [
    /^(\{\{.*?\}\}): write the default in quotes/,
    (match) =>
      `Put the fallback in ${match[1]} in quotes, like {{contact.first_name|default:"there"}}.`,
  ],
  [/text may not be blank/, () => "Write the reply first."],
];

function ownSentence(text) {
  for (const [pattern, say] of REPLY_FAULTS) {
    const match = pattern.exec(text);
    if (match) {
      return say(match);
    }
  }
  return text;
}

function replyError(error) {
  const fields = Object.fromEntries(
    Object.entries(error.fields ?? {}).map(([name, messages]) => [name, messages.map(ownSentence)]),
  );
  return personalError({ message: error.message, fields, status: error.status });
}

// ------------------------------------------------------------------------------- editor

const editor = { editingId: null };

function editedItem() {
  return editor.editingId === null
    ? null
    : ui.list.querySelector(`[data-reply-id="${editor.editingId}"]`);
}

function markEdited() {
  for (const item of ui.list.querySelectorAll("[data-reply-id]")) {
    item.classList.toggle("reply-editing", item.dataset.replyId === String(editor.editingId));
  }
}

function startNew() {
  editor.editingId = null;
  ui.form.reset();
  clearErrors(ui.form);
  ui.heading.textContent = "New saved reply";
  ui.submit.textContent = "Save reply";
  ui.cancel.hidden = true;
  markEdited();
  renderPreview();
}

function startEditing(reply) {
  editor.editingId = reply.id;
  clearErrors(ui.form);
  ui.title.value = reply.title;
  ui.body.value = reply.body;
  ui.heading.textContent = `Edit “${reply.title}”`;
  ui.submit.textContent = "Save changes";
  ui.cancel.hidden = false;
  markEdited();
  renderPreview();
  ui.title.focus();
}

async function submitReply(event) {
  event.preventDefault();
  clearErrors(ui.form);
  setBusy(ui.form, true);
  const values = { title: ui.title.value, body: ui.body.value };
  const editingId = editor.editingId;
  try {
    const reply =
      editingId === null
        ? await postJSON(root.dataset.savedRepliesUrl, values)
        : await patchJSON(replyUrl(editingId), values);
    await loadSavedReplies();
    startNew();
    if (editingId === null) {
      ui.status.textContent = `Saved reply “${reply.title}” added.`;
      ui.title.focus();
    } else {
      ui.status.textContent = `Saved reply “${reply.title}” changed.`;
      ui.list.querySelector(`[data-reply-id="${reply.id}"] [data-action="edit"]`)?.focus();
    }
  } catch (error) {
    showErrors(ui.form, replyError(error));
  } finally {
    setBusy(ui.form, false);
  }
}

function cancelEditing() {
  const item = editedItem();
  startNew();
  item?.querySelector('[data-action="edit"]').focus();
}

// --------------------------------------------------------------------------------- list

function renderReply(reply) {
  const item = h(
    "li",
    { className: "reply-item", "data-reply-id": reply.id },
    h(
      "div",
      { className: "reply-summary" },
      h("p", { className: "reply-title" }, reply.title),
      h("p", { className: "reply-body" }, reply.body),
    ),
    h(
      "div",
      { className: "reply-actions" },
      h(
        "button",
        {
          type: "button",
          className: "button button-small",
          "data-action": "edit",
          "aria-label": `Edit the saved reply ${reply.title}`,
        },
        "Edit",
      ),
      h(
        "button",
        {
          type: "button",
          className: "button button-small button-quiet",
          "data-action": "delete",
          "aria-label": `Delete the saved reply ${reply.title}`,
        },
        "Delete",
      ),
    ),
    h(
      "div",
      { className: "label-confirm reply-confirm", hidden: true },
      h("p", {}, `Delete “${reply.title}”? Teammates can no longer pick it in the inbox.`),
      h(
        "button",
        {
          type: "button",
          className: "button button-small button-danger",
          "data-action": "confirm-delete",
        },
        "Delete saved reply",
      ),
      h(
        "button",
        { type: "button", className: "button button-small", "data-action": "keep" },
        "Keep it",
      ),
    ),
  );
  item.reply = reply;
  return item;
}

function showReplies(replies) {
  ui.list.replaceChildren(...replies.map(renderReply));
  ui.list.setAttribute("aria-busy", "false");
  ui.status.textContent = replies.length ? "" : "No saved replies yet.";
  markEdited();
}

export async function loadSavedReplies() {
  try {
    showReplies(await getJSON(root.dataset.savedRepliesUrl));
  } catch (error) {
    ui.status.textContent = personalError(error).message;
  }
}

async function deleteReply(item, button) {
  ui.error.textContent = "";
  ui.error.hidden = true;
  button.disabled = true;
  try {
    await deleteJSON(replyUrl(item.dataset.replyId));
    if (editor.editingId === item.reply.id) {
      startNew();
    }
    item.remove();
    ui.status.textContent = `Saved reply “${item.reply.title}” deleted.`;
    if (!ui.list.children.length) {
      ui.status.textContent += " No saved replies now.";
    }
    ui.title.focus();
  } catch (error) {
    ui.error.textContent = personalError(error).message;
    ui.error.hidden = false;
    button.disabled = false;
  }
}

function onListClick(event) {
  const button = event.target.closest("[data-action]");
  if (!button) {
    return;
  }
  const item = button.closest("[data-reply-id]");
  const confirm = item.querySelector(".reply-confirm");
  const action = button.dataset.action;
  if (action === "edit") {
    startEditing(item.reply);
  } else if (action === "delete") {
    confirm.hidden = false;
    confirm.querySelector('[data-action="keep"]').focus();
  } else if (action === "keep") {
    confirm.hidden = true;
    item.querySelector('[data-action="delete"]').focus();
  } else if (action === "confirm-delete") {
    deleteReply(item, button);
  }
}

ui.form.addEventListener("submit", submitReply);
ui.form.addEventListener("input", clearErrorsOnInput);
ui.body.addEventListener("input", renderPreview);
ui.cancel.addEventListener("click", cancelEditing);
ui.variables.addEventListener("click", (event) => {
  const button = event.target.closest("[data-variable]");
  if (button) {
    insertVariable(button.dataset.variable);
  }
});
ui.list.addEventListener("click", onListClick);
renderPreview();
