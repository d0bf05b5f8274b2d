// How the team's records draw: a conversation's assignee, labels and state in the lists and
// the thread header, internal notes (never to be taken for a message someone was sent) and
// activity lines ("Ada Lovelace closed this · 10:02") among the messages or emails.
//
// Like the other render modules: records in, DOM nodes out, no state and no requests. A
// label's colour arrives through a custom property set on the node (the CSP forbids style
// attributes), and only shows as a dot beside the name, so the text keeps its contrast.

import { clockTime, h, timeElement } from "./render.js";

const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  hour: "numeric",
  minute: "2-digit",
});

export function personInitials(name) {
  const words = String(name ?? "").split(/\s+/).filter(Boolean);
  return words.slice(0, 2).map((word) => [...word][0].toUpperCase()).join("") || "?";
}

export function snoozeText(iso) {
  return iso ? `Snoozed until ${dateTimeFormat.format(new Date(iso))}` : "Snoozed";
}

export function labelChip(label) {
  const chip = h(
    "span",
    { className: "label-chip", "data-label": label.name },
    h("span", { className: "label-dot", "aria-hidden": "true" }),
    label.name,
  );
  if (/^#[0-9a-f]{6}$/i.test(label.colour ?? "")) {
    chip.style.setProperty("--label-colour", label.colour);
  }
  return chip;
}

// Initials in a small round mark; the full name in words for screen readers and on hover.
export function assigneeMark(assignee) {
  if (!assignee) {
    return null;
  }
  return h(
    "span",
    { className: "assignee-mark", title: `Assigned to ${assignee.name}` },
    h("span", { "aria-hidden": "true" }, personInitials(assignee.name)),
    h("span", { className: "visually-hidden" }, ` Assigned to ${assignee.name}`),
  );
}

function stateBadge(record) {
  if (record.state === "closed") {
    return h("span", { className: "state-badge state-closed" }, "Closed");
  }
  if (record.state === "snoozed") {
    return h(
      "span",
      { className: "state-badge state-snoozed", title: snoozeText(record.snoozed_until) },
      "Snoozed",
    );
  }
  return null;
}

// A list row's team marks: closed or snoozed, its labels and who has it. Nothing for an
// open, unlabelled, unassigned conversation.
export function teamMarks(record) {
  const labels = Array.isArray(record.labels) ? record.labels : [];
  const state = stateBadge(record);
  const assignee = assigneeMark(record.assignee);
  if (!labels.length && !state && !assignee) {
    return null;
  }
  return h(
    "span",
    { className: "team-marks" },
    state,
    labels.map(labelChip),
    assignee,
  );
}

// A note's text with its @mentions of teammates set apart; the rest is plain text.
function noteBody(note) {
  const usernames = new Set((note.mentions ?? []).map((person) => person.username.toLowerCase()));
  const parts = String(note.body ?? "").split(/(@[\w.+-]+)/);
  return parts.map((part) =>
    part.startsWith("@") && usernames.has(part.slice(1).toLowerCase())
      ? h("strong", { className: "mention" }, part)
      : part,
  );
}

export function noteItem(note, { mine = false } = {}) {
  const author = note.author?.name ?? "Someone who left";
  return h(
    "li",
    {
      className: `note${mine ? " note-mine" : ""}`,
      "data-note-id": note.id,
    },
    h(
      "article",
      { "aria-label": `Internal note from ${author}` },
      h(
        "p",
        { className: "note-meta" },
        h("span", { className: "note-kind" }, "Internal note"),
        h("span", { className: "note-author" }, author),
        timeElement(note.created_at, clockTime(note.created_at)),
      ),
      h("p", { className: "note-body" }, noteBody(note)),
    ),
  );
}

export function activityItem(activity) {
  return h(
    "li",
    { className: "activity-line", "data-activity-id": activity.id, "data-kind": activity.kind },
    h("span", { className: "activity-text" }, activity.text),
    " · ",
    timeElement(activity.created_at, clockTime(activity.created_at)),
  );
}

// The entry reconcile() draws for a note or an activity line among a thread's items
// (thread-extras.js puts them there, with `kind`).
export function teamEntry(item, { isMine = () => false } = {}) {
  if (item.kind === "note") {
    const mine = isMine(item.note.author);
    return {
      key: `note-${item.note.id}`,
      signature: JSON.stringify([item.note, mine]),
      build: () => noteItem(item.note, { mine }),
    };
  }
  return {
    key: `activity-${item.activity.id}`,
    signature: JSON.stringify(item.activity),
    build: () => activityItem(item.activity),
  };
}
