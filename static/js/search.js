// The conversation list's search box, as you type: 200 ms after the last key, what Hatch
// finds (GET /api/search) drops down under it in groups, Contacts, Messages, Emails and
// Notes, five of each, with "More" for the next five of a group. Up and Down move through
// them, Enter opens one (search-open.js), Escape, a click elsewhere or leaving the box
// closes them. Enter with none chosen does what it always did: the list below shows the
// conversations that match (list.js, which also narrows the list as the person types).
//
// One request per group, the four in parallel, rather than one for everything grouped here:
// the answer is newest first across every kind, so a word in a hundred recent messages
// would crowd out the one contact of that name; and each group needs a "next" of its own
// for its "More". A new query aborts the requests of the one before, and an answer is shown
// only if it is for what the box holds now.
//
// The box is a combobox (role, aria-expanded, aria-controls in the template): the focus
// stays in it and aria-activedescendant names the result chosen.

import { getJSON } from "./api.js";
import { byId, root } from "./page.js";
import { openResult, setupSearchOpening } from "./search-open.js";
import { GROUPS, moreId, optionId, resultGroups } from "./search-render.js";

const DEBOUNCE_MS = 200;
const PAGE_SIZE = 5;
// One letter matches nearly everything; the list below still narrows on it.
const MIN_LENGTH = 2;

const ui = {
  input: byId("search-input"),
  popup: byId("search-popup"),
  results: byId("search-results"),
  status: byId("search-status"),
  // Outside the results, so that it is read out while they are hidden too.
  announcement: byId("search-announcement"),
};
const searchUrl = root.dataset.searchUrl;

const box = {
  query: "", // what the results shown answer
  groups: [], // GROUPS, each with {results, next, loading}
  activeId: null, // the id of the option chosen with the keys
  timer: null,
  controller: null, // the requests of the query on its way
};

// A refusal (400) says what is wrong with the query under its name, "q", in a sentence
// about "this field": about the person's search, in the box's words.
function errorText(error) {
  const aboutQuery = error.fields?.q?.[0];
  if (typeof aboutQuery !== "string") {
    return error.message;
  }
  return aboutQuery.replace(/\b([Tt])his field\b/, (_, t) => `${t === "T" ? "Y" : "y"}our search`);
}

function groupUrl(query, kind) {
  const params = new URLSearchParams({ q: query, type: kind, page_size: PAGE_SIZE });
  return `${searchUrl}?${params}`;
}

function options() {
  return [...ui.results.querySelectorAll("[role=option]")];
}

function isOpen() {
  return !ui.popup.hidden;
}

function setOpen(open) {
  ui.popup.hidden = !open;
  ui.input.setAttribute("aria-expanded", String(open));
  if (!open) {
    choose(null);
  }
}

function choose(id) {
  box.activeId = id;
  for (const option of options()) {
    option.setAttribute("aria-selected", String(option.id === id));
  }
  const active = id ? byId(id) : null;
  if (active) {
    ui.input.setAttribute("aria-activedescendant", id);
    active.scrollIntoView({ block: "nearest" });
  } else {
    ui.input.removeAttribute("aria-activedescendant");
  }
}

function move(step) {
  const all = options();
  if (!all.length) {
    return;
  }
  const current = all.findIndex((option) => option.id === box.activeId);
  let next;
  if (current < 0) {
    next = step > 0 ? 0 : all.length - 1;
  } else {
    next = (current + step + all.length) % all.length;
  }
  choose(all[next].id);
}

function summary(count) {
  const found = count === 1 ? "1 result" : `${count} results`;
  return `${found}: up and down to choose, Enter to open.`;
}

function render({ error = null } = {}) {
  const groups = resultGroups(box.groups);
  ui.results.replaceChildren(...groups);
  ui.results.hidden = !groups.length;
  const count = box.groups.reduce((total, group) => total + group.results.length, 0);
  if (error) {
    ui.status.textContent = error;
  } else if (!count) {
    ui.status.textContent = `No matches for “${box.query}”.`;
  } else {
    ui.status.textContent = "";
  }
  ui.announcement.textContent = ui.status.textContent || summary(count);
  // The option chosen stays chosen if it is still there.
  choose(box.activeId && byId(box.activeId) ? box.activeId : null);
}

function cancel() {
  clearTimeout(box.timer);
  box.controller?.abort();
  box.controller = null;
}

async function search(query) {
  cancel();
  const controller = new AbortController();
  box.controller = controller;
  const answers = await Promise.allSettled(
    GROUPS.map((group) => getJSON(groupUrl(query, group.kind), { signal: controller.signal })),
  );
  if (box.controller !== controller) {
    return; // a newer query, or the box emptied, since
  }
  box.controller = null;
  box.query = query;
  box.activeId = null;
  box.groups = GROUPS.map((group, index) => {
    const answer = answers[index];
    const page = answer.status === "fulfilled" ? answer.value : null;
    return { ...group, results: page?.results ?? [], next: page?.next ?? null, loading: false };
  });
  // Hatch's own words (a 400 says what to change); one message for the four requests.
  const failed = answers.find((answer) => answer.status === "rejected");
  render({ error: failed ? errorText(failed.reason) : null });
  setOpen(document.activeElement === ui.input);
}

function onInput() {
  cancel();
  choose(null); // Enter now filters the list, until a result is chosen again
  const query = ui.input.value.trim();
  if (query.length < MIN_LENGTH) {
    box.query = "";
    box.groups = [];
    ui.announcement.textContent = "";
    setOpen(false);
    return;
  }
  box.timer = setTimeout(() => search(query), DEBOUNCE_MS);
}

async function loadMore(kind) {
  const group = box.groups.find((item) => item.kind === kind);
  if (!group?.next || group.loading) {
    return;
  }
  group.loading = true;
  render();
  let error = null;
  const firstNew = group.results.length;
  try {
    const page = await getJSON(group.next);
    const known = new Set(group.results.map((result) => result.id));
    group.results = [...group.results, ...page.results.filter((result) => !known.has(result.id))];
    group.next = page.next;
  } catch (failure) {
    error = errorText(failure);
  } finally {
    group.loading = false;
  }
  if (!box.groups.includes(group)) {
    return; // another query's results are shown now
  }
  // Chosen with the keys: the first of the new results is chosen next.
  const added = group.results[firstNew];
  if (box.activeId === moreId(kind)) {
    box.activeId = added ? optionId(kind, added.id) : null;
  }
  render({ error });
}

function activate(option) {
  if (option.dataset.more) {
    loadMore(option.dataset.more);
    return;
  }
  const group = box.groups.find((item) => item.kind === option.dataset.kind);
  const result = group?.results.find((item) => item.id === option.dataset.resultId);
  if (result) {
    setOpen(false);
    openResult(result);
  }
}

function onKeydown(event) {
  if (event.isComposing || event.altKey || event.ctrlKey || event.metaKey) {
    return;
  }
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    if (!isOpen()) {
      // The results of what the box holds, shown again.
      if (box.query && box.query === ui.input.value.trim()) {
        setOpen(true);
      }
      return;
    }
    move(event.key === "ArrowDown" ? 1 : -1);
  } else if (event.key === "Enter") {
    const active = isOpen() && box.activeId ? byId(box.activeId) : null;
    if (active) {
      event.preventDefault(); // not the form's submit: the list stays as it is
      activate(active);
    } else {
      setOpen(false); // and the form's submit filters the list, as before
    }
  } else if (event.key === "Escape" && isOpen()) {
    event.preventDefault(); // a search field would empty itself
    setOpen(false);
  }
}

// hooks.openConversation(id), hooks.openEmailThread(id): as the lists open them.
export function setupSearchBox(hooks) {
  setupSearchOpening(hooks);
  ui.input.addEventListener("input", onInput);
  ui.input.addEventListener("keydown", onKeydown);
  ui.input.addEventListener("blur", () => setOpen(false));
  ui.input.addEventListener("focus", () => {
    if (box.query && box.query === ui.input.value.trim()) {
      setOpen(true);
    }
  });
  // A press on a result keeps the focus in the box (and the results open) until its click.
  ui.popup.addEventListener("mousedown", (event) => event.preventDefault());
  ui.results.addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (option && option.getAttribute("aria-disabled") !== "true") {
      activate(option);
    }
  });
}
