// The conversation list's team filters: its state (Open, the default; Snoozed; Closed; All),
// "Mine" and "Unassigned", and a label. They go to the API as ?state=, ?assignee= and
// ?label=, and say whether a pushed conversation still belongs in the list: one closed
// while the Open list shows leaves it, and comes back when reopened.
//
// list.js asks this module (teamFilterParams, passesTeamFilter, filteredEmptyText); a
// change of filter reloads the list through the hook inbox.js gives (onChange).

import { byId } from "./page.js";
import { h } from "./render.js";
import { isMe, labels } from "./team-data.js";

export const teamFilter = { state: "open", assignee: "", label: "" };

const ui = {
  states: [...document.querySelectorAll("button[data-state-filter]")],
  assignees: [...document.querySelectorAll("button[data-assignee-filter]")],
  label: byId("label-filter"),
};

const hooks = { onChange: () => {} };

export function teamFilterParams(params) {
  for (const [name, value] of Object.entries(teamFilter)) {
    if (value) {
      params.set(name, value);
    }
  }
  return params;
}

// As far as the page can tell from the record; a record without team fields (a server
// that does not send them yet) passes.
export function passesTeamFilter(record) {
  if (teamFilter.state && record.state !== undefined && record.state !== teamFilter.state) {
    return false;
  }
  if (teamFilter.assignee === "me" && record.assignee !== undefined && !isMe(record.assignee)) {
    return false;
  }
  if (teamFilter.assignee === "none" && record.assignee) {
    return false;
  }
  if (teamFilter.label && Array.isArray(record.labels)) {
    const wanted = teamFilter.label.toLowerCase();
    return record.labels.some((label) => label.name.toLowerCase() === wanted);
  }
  return true;
}

const STATE_WORDS = { open: "open", snoozed: "snoozed", closed: "closed" };

// "No open SMS conversations assigned to you with the label “VIP”." `kind` is the channel
// filter's word ("SMS", "failed"), if any.
export function filteredEmptyText(kind = "") {
  const anyFilter = kind || teamFilter.state || teamFilter.assignee || teamFilter.label;
  if (!anyFilter) {
    return "No conversations yet. Start one with New conversation.";
  }
  const words = [STATE_WORDS[teamFilter.state], kind, "conversations"].filter(Boolean);
  if (teamFilter.assignee === "me") {
    words.push("assigned to you");
  } else if (teamFilter.assignee === "none") {
    words.push("without an assignee");
  }
  if (teamFilter.label) {
    words.push(`with the label “${teamFilter.label}”`);
  }
  return `No ${words.join(" ")}.`;
}

function press(buttons, attribute, value) {
  for (const button of buttons) {
    button.setAttribute("aria-pressed", String(button.dataset[attribute] === value));
  }
}

function set(changes) {
  Object.assign(teamFilter, changes);
  press(ui.states, "stateFilter", teamFilter.state);
  press(ui.assignees, "assigneeFilter", teamFilter.assignee);
  hooks.onChange();
}

async function fillLabels() {
  let all;
  try {
    all = await labels();
  } catch {
    return; // the list works without its label filter
  }
  const chosen = ui.label.value;
  ui.label.replaceChildren(
    h("option", { value: "" }, "Any label"),
    ...all.map((label) => h("option", { value: label.name }, label.name)),
  );
  ui.label.value = all.some((label) => label.name === chosen) ? chosen : "";
}

// Every conversation, whatever its state, assignee or labels (the caller loads the list):
// one just started from the dialog must show, even when it was a closed one.
export function clearTeamFilters() {
  Object.assign(teamFilter, { state: "", assignee: "", label: "" });
  press(ui.states, "stateFilter", teamFilter.state);
  press(ui.assignees, "assigneeFilter", teamFilter.assignee);
  if (ui.label) {
    ui.label.value = "";
  }
}

// hooks.onChange(): the filters changed; the list loads again.
export function setupListFilters(given) {
  Object.assign(hooks, given);
  for (const button of ui.states) {
    button.addEventListener("click", () => {
      if (button.dataset.stateFilter !== teamFilter.state) {
        set({ state: button.dataset.stateFilter });
      }
    });
  }
  // Mine and Unassigned exclude each other; pressing the pressed one lets it go.
  for (const button of ui.assignees) {
    button.addEventListener("click", () => {
      const value = button.dataset.assigneeFilter;
      set({ assignee: teamFilter.assignee === value ? "" : value });
    });
  }
  if (ui.label) {
    fillLabels();
    ui.label.addEventListener("change", () => set({ label: ui.label.value }));
  }
  press(ui.states, "stateFilter", teamFilter.state);
  press(ui.assignees, "assigneeFilter", teamFilter.assignee);
}
