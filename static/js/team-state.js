// The team's controls over the open conversation or email thread, in a bar under its
// header: Close or Reopen, Snooze (later today, tomorrow morning, next week, or a time
// picked), who it is assigned to ("Assign to me" first), and its labels.
//
// One bar per view (Conversations and Emails), each showing the record given to
// showTeamState(); every change is a PATCH whose answer (the list item) goes back to the
// page through the hook inbox.js gives (onChanged), and the activity line it wrote is
// fetched (activity.js) so that it shows even without a live connection.

import { refreshActivity } from "./activity.js";
import { patchJSON } from "./api.js";
import { setupDialog } from "./forms.js";
import { closeMenu, menuButton, menuItem, menuNote } from "./menu.js";
import { byId, root, showToast } from "./page.js";
import { h } from "./render.js";
import { labelChip, snoozeText } from "./render-team.js";
import { activeTeammates, isMe, labels, me, recordUrl, teammates } from "./team-data.js";

const hooks = { onChanged: () => {} };

const dayTime = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  hour: "numeric",
  minute: "2-digit",
});
const clock = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });

// When each snooze choice ends, from now: a few hours on (to the next quarter hour), 9 in
// the morning tomorrow, 9 on the coming Monday.
export function snoozeChoices(now = new Date()) {
  const later = new Date(now.getTime() + 3 * 3_600_000);
  later.setMinutes(Math.ceil(later.getMinutes() / 15) * 15, 0, 0);
  const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 9);
  const daysToMonday = ((8 - now.getDay()) % 7) || 7;
  const nextWeek = new Date(now.getFullYear(), now.getMonth(), now.getDate() + daysToMonday, 9);
  return [
    { text: "Later today", until: later, detail: clock.format(later) },
    { text: "Tomorrow morning", until: tomorrow, detail: dayTime.format(tomorrow) },
    { text: "Next week", until: nextWeek, detail: dayTime.format(nextWeek) },
  ];
}

function control(bar, name) {
  return bar.element.querySelector(`[data-team="${name}"]`);
}

// The bar's controls, made once per view so that focus stays on them across redraws.
function buildBar(bar) {
  const id = (name) => `${bar.prefix}-${name}`;
  const menuAnchor = (name, buttonContent) =>
    h(
      "div",
      { className: "menu-anchor" },
      h(
        "button",
        {
          type: "button",
          className: "button button-small",
          id: id(`${name}-button`),
          "data-team": name,
        },
        buttonContent,
        h("span", { className: "menu-caret", "aria-hidden": "true" }, "▾"),
      ),
      h("div", { className: "menu", id: id(`${name}-menu`), "data-team-menu": name }),
    );
  bar.element.replaceChildren(
    h("p", { className: "team-state", "data-team": "state-text" }),
    h(
      "div",
      { className: "team-controls" },
      h(
        "button",
        { type: "button", className: "button button-small", "data-team": "close" },
        h("span", { "data-team": "close-text" }, "Close"),
        h("span", { className: "visually-hidden" }, ` this ${bar.noun}`),
      ),
      menuAnchor("snooze", "Snooze"),
      menuAnchor("assign", [
        h("span", { className: "visually-hidden" }, "Assigned to: "),
        h("span", { "data-team": "assignee-text" }, "Nobody"),
      ]),
      menuAnchor("labels", "Labels"),
    ),
    h("p", { className: "team-labels", "data-team": "labels-text" }),
  );
  control(bar, "close").addEventListener("click", () => {
    change(bar, bar.record?.state === "closed" ? { state: "open" } : { state: "closed" });
  });
  const menuOf = (name) => bar.element.querySelector(`[data-team-menu="${name}"]`);
  menuButton({
    button: control(bar, "snooze"),
    menu: menuOf("snooze"),
    label: "Snooze until",
    fill: (menu) => fillSnooze(bar, menu),
  });
  menuButton({
    button: control(bar, "assign"),
    menu: menuOf("assign"),
    label: "Assign to",
    fill: (menu) => fillAssignees(bar, menu),
  });
  menuButton({
    button: control(bar, "labels"),
    menu: menuOf("labels"),
    label: "Labels",
    fill: (menu) => fillLabels(bar, menu),
  });
}

function fillSnooze(bar, menu) {
  const choices = snoozeChoices().map(({ text, until, detail }) =>
    menuItem({
      text,
      detail,
      onChoose: () => change(bar, { state: "snoozed", snoozed_until: until.toISOString() }),
    }),
  );
  menu.replaceChildren(
    ...choices,
    menuItem({ text: "Pick a time…", onChoose: () => pickSnoozeTime(bar) }),
  );
}

async function fillAssignees(bar, menu) {
  const current = bar.record?.assignee ?? null;
  const fixed = [
    current && isMe(current)
      ? null
      : menuItem({ text: "Assign to me", onChoose: () => change(bar, { assignee: me.id }) }),
  ].filter(Boolean);
  const nobody = menuItem({
    text: "Nobody",
    role: "menuitemradio",
    checked: !current,
    onChoose: () => change(bar, { assignee: null }),
  });
  menu.replaceChildren(...fixed, menuNote("Loading teammates…"), nobody);
  let people;
  try {
    people = activeTeammates(await teammates({ fresh: true }));
  } catch (error) {
    menu.replaceChildren(...fixed, menuNote(error.message), nobody);
    return;
  }
  menu.replaceChildren(
    ...fixed,
    ...people.map((person) =>
      menuItem({
        text: isMe(person) ? `${person.name} (you)` : person.name,
        role: "menuitemradio",
        checked: Number(current?.id) === Number(person.id),
        onChoose: () => change(bar, { assignee: person.id }),
      }),
    ),
    nobody,
  );
}

async function fillLabels(bar, menu) {
  const drawItems = (all) => {
    const chosen = new Set((bar.record?.labels ?? []).map((label) => label.name.toLowerCase()));
    return all.map((label) => {
      const item = menuItem({
        text: label.name,
        role: "menuitemcheckbox",
        checked: chosen.has(label.name.toLowerCase()),
        onChoose: (event) => toggleLabel(bar, event.currentTarget),
      });
      item.dataset.label = label.name;
      return item;
    });
  };
  menu.replaceChildren(menuNote("Loading labels…"));
  try {
    const all = await labels({ fresh: true });
    menu.replaceChildren(
      ...(all.length
        ? drawItems(all)
        : [menuNote("No labels yet: an admin adds them on the Team page.")]),
    );
  } catch (error) {
    menu.replaceChildren(menuNote(error.message));
  }
}

// The menu's ticks are what the person wants (two quick toggles must not undo each other
// while the first answer is on its way), so the names sent are read from them.
function toggleLabel(bar, item) {
  item.setAttribute("aria-checked", String(item.getAttribute("aria-checked") !== "true"));
  const menu = item.closest("[role=menu]");
  const names = [...menu.querySelectorAll('[role=menuitemcheckbox][aria-checked="true"]')].map(
    (checked) => checked.dataset.label,
  );
  change(bar, { labels: names });
}

const snoozeDialog = {
  dialog: byId("snooze-dialog"),
  form: byId("snooze-form"),
  input: byId("snooze-until"),
  error: byId("snooze-until-error"),
  bar: null,
};

// <input type="datetime-local"> speaks the browser's local time without a zone.
function localInputValue(date) {
  const pad = (number) => String(number).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

function pickSnoozeTime(bar) {
  snoozeDialog.bar = bar;
  const suggestion = snoozeChoices()[1].until;
  snoozeDialog.input.min = localInputValue(new Date());
  snoozeDialog.input.value = localInputValue(suggestion);
  snoozeDialog.error.hidden = true;
  snoozeDialog.input.removeAttribute("aria-invalid");
  snoozeDialog.dialog.showModal();
}

function submitSnoozeTime(event) {
  event.preventDefault();
  const until = new Date(snoozeDialog.input.value);
  if (!snoozeDialog.input.value || Number.isNaN(until.getTime()) || until <= new Date()) {
    snoozeDialog.error.textContent = "Choose a time in the future.";
    snoozeDialog.error.hidden = false;
    snoozeDialog.input.setAttribute("aria-invalid", "true");
    snoozeDialog.input.focus();
    return;
  }
  snoozeDialog.dialog.close();
  const bar = snoozeDialog.bar;
  change(bar, { state: "snoozed", snoozed_until: until.toISOString() });
  control(bar, "snooze").focus();
}

function announce(changes, record) {
  if ("state" in changes) {
    const noun = record.channel === "email" ? "Email thread" : "Conversation";
    if (record.state === "closed") {
      return `${noun} closed.`;
    }
    if (record.state === "snoozed") {
      return `${snoozeText(record.snoozed_until)}.`;
    }
    return `${noun} reopened.`;
  }
  if ("assignee" in changes) {
    if (!record.assignee) {
      return "Nobody is assigned now.";
    }
    return isMe(record.assignee) ? "Assigned to you." : `Assigned to ${record.assignee.name}.`;
  }
  const names = (record.labels ?? []).map((label) => label.name);
  return names.length ? `Labels: ${names.join(", ")}.` : "No labels.";
}

async function change(bar, changes) {
  const record = bar.record;
  if (!record) {
    return;
  }
  const id = recordId(bar.kind, record);
  bar.element.setAttribute("aria-busy", "true");
  try {
    const answer = await patchJSON(recordUrl(bar.kind, id), changes);
    hooks.onChanged(bar.kind, answer);
    teamRecordChanged(bar.kind, answer);
    showToast(announce(changes, answer));
    refreshActivity(bar.kind, id);
  } catch (error) {
    showToast(error.message);
  } finally {
    bar.element.setAttribute("aria-busy", "false");
  }
}

function recordId(kind, record) {
  return kind === "email" ? record.id : record.conversation_id;
}

function renderBar(bar) {
  const record = bar.record;
  bar.element.hidden = !record || !("state" in record);
  if (bar.element.hidden) {
    closeMenu();
    return;
  }
  bar.element.dataset.state = record.state;
  const stateText =
    record.state === "snoozed"
      ? snoozeText(record.snoozed_until)
      : record.state === "closed"
        ? "Closed"
        : "Open";
  control(bar, "state-text").textContent = stateText;
  control(bar, "close-text").textContent = record.state === "closed" ? "Reopen" : "Close";
  const assignee = record.assignee;
  control(bar, "assignee-text").textContent = assignee
    ? isMe(assignee)
      ? "Me"
      : assignee.name
    : "Nobody";
  control(bar, "assign").title = assignee ? `Assigned to ${assignee.name}` : "Assign";
  const chips = (record.labels ?? []).map(labelChip);
  control(bar, "labels-text").replaceChildren(
    ...(chips.length ? [h("span", { className: "visually-hidden" }, "Labels: "), ...chips] : []),
  );
}

const bars = {};

// What the bar shows: the open conversation (kind "conversation") or email thread ("email");
// null hides it.
export function showTeamState(kind, record) {
  const bar = bars[kind];
  if (!bar) {
    return;
  }
  bar.record = record;
  renderBar(bar);
}

// A newer copy of a record (a PATCH answer, a pushed change): the bar follows if it is the
// one shown.
export function teamRecordChanged(kind, record) {
  const bar = bars[kind];
  if (bar?.record && recordId(kind, bar.record) === recordId(kind, record)) {
    bar.record = { ...bar.record, ...record };
    renderBar(bar);
  }
}

function visibleBar() {
  const bar = root.dataset.section === "emails" ? bars.email : bars.conversation;
  return bar?.record && !bar.element.hidden ? bar : null;
}

// The keyboard's "e" and "a" (keyboard.js): on what is open in the view shown.
export function closeOpenRecord() {
  const bar = visibleBar();
  if (!bar) {
    showToast("Open a conversation first.");
  } else if (bar.record.state === "closed") {
    showToast("This is closed already.");
  } else {
    change(bar, { state: "closed" });
  }
}

export function assignOpenRecordToMe() {
  const bar = visibleBar();
  if (!bar) {
    showToast("Open a conversation first.");
  } else if (isMe(bar.record.assignee)) {
    showToast("It is assigned to you already.");
  } else {
    change(bar, { assignee: me.id });
  }
}

// hooks.onChanged(kind, record): a PATCH's answer, for the lists and the open thread.
export function setupTeamState(given) {
  Object.assign(hooks, given);
  for (const [kind, elementId, prefix, noun] of [
    ["conversation", "team-bar", "team", "conversation"],
    ["email", "email-team-bar", "email-team", "email thread"],
  ]) {
    const element = byId(elementId);
    if (element) {
      bars[kind] = { kind, element, prefix, noun, record: null };
      buildBar(bars[kind]);
      renderBar(bars[kind]);
    }
  }
  if (snoozeDialog.dialog) {
    setupDialog(snoozeDialog.dialog);
    snoozeDialog.form.addEventListener("submit", submitSnoozeTime);
  }
}
