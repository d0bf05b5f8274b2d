// The contact panel beside the thread: who the conversation is with. Every number and
// address (primary first) with its consent, the notes, and the person's whole history
// across SMS and email, a page at a time, each item opening its conversation or thread;
// the name edited in place, a number or an address added, notes saved. Collapsible beside
// the thread; a drawer over it on narrow screens.
//
// It follows the open conversation's contact (followContact, from the thread header) and
// tells the rest of the page about changes through the hooks inbox.js gives it, so that it
// depends on no other part of the screen.

import { getJSON, patchJSON } from "./api.js";
import { clearErrors, readableError, setBusy, showErrors } from "./forms.js";
import { byId, root, urls } from "./page.js";
import { loadOnScroll, reobserve } from "./paging.js";
import { mergeByKey, reconcile } from "./render.js";
import { pointItem, timelineItem } from "./render-contact.js";

// Narrower than this, the panel is a drawer over the thread instead of a column beside it.
const drawerScreen = window.matchMedia("(max-width: 1100px)");

const ui = {
  panel: byId("contact-panel"),
  toggle: byId("contact-toggle"),
  close: byId("contact-panel-close"),
  name: byId("contact-name"),
  rename: byId("contact-rename"),
  nameForm: byId("contact-name-form"),
  status: byId("contact-panel-status"),
  details: byId("contact-details"),
  scroll: byId("contact-panel-scroll"),
  phones: byId("contact-phones"),
  emails: byId("contact-emails"),
  phoneForm: byId("contact-phone-form"),
  emailForm: byId("contact-email-form"),
  notesForm: byId("contact-notes-form"),
  notesSaved: byId("contact-notes-saved"),
  timeline: byId("contact-timeline"),
  timelineStatus: byId("contact-timeline-status"),
  timelineMore: byId("contact-timeline-more"),
};

// What a person calls the fields the API names in its messages.
const FIELD_WORDS = {
  name: "The name",
  first_name: "The first name",
  notes: "The notes",
  phones: "The number",
  emails: "The address",
};

const panel = {
  contactId: null,
  contact: null,
  request: null,
  timeline: [],
  timelineNext: null,
  timelineRequest: null,
  // Beside the thread it starts open and stays as the person leaves it; as a drawer it
  // opens when asked.
  wantedOpen: true,
  hooks: { onContactChanged: () => {}, onOpenItem: () => {} },
};

export function currentContact() {
  return panel.contact;
}

function isOpen() {
  return ui.panel.dataset.open === "true";
}

function setOpen(open, { focus = false } = {}) {
  ui.panel.dataset.open = String(open);
  ui.toggle.setAttribute("aria-expanded", String(open));
  root.dataset.contactPanel = open && !ui.panel.hidden ? "open" : "closed";
  if (open && focus) {
    ui.name.focus();
  }
}

function togglePanel() {
  const open = !isOpen();
  if (!drawerScreen.matches) {
    panel.wantedOpen = open;
  }
  setOpen(open, { focus: open });
  if (!open) {
    ui.toggle.focus();
  }
}

function renderContact() {
  const contact = panel.contact;
  ui.details.hidden = !contact;
  ui.rename.hidden = !contact;
  if (!contact) {
    return;
  }
  const name = contact.name?.trim();
  ui.name.textContent = name || "No name yet";
  ui.name.classList.toggle("is-unnamed", !name);
  ui.rename.textContent = name ? "Edit name" : "Add a name";
  const consent = contact.consent ?? {};
  const points = (list) =>
    (list ?? []).map((point) => ({
      key: point.value,
      signature: JSON.stringify([point, consent[point.value]]),
      build: () => pointItem(point, consent[point.value]),
    }));
  reconcile(ui.phones, points(contact.phones));
  reconcile(ui.emails, points(contact.emails));
  const notes = ui.notesForm.elements.namedItem("notes");
  if (document.activeElement !== notes) {
    notes.value = contact.notes ?? "";
  }
}

function renderTimeline() {
  reconcile(
    ui.timeline,
    panel.timeline.map((item) => ({
      key: item.id,
      signature: JSON.stringify(item),
      build: () => timelineItem(item),
    })),
  );
  ui.timelineMore.hidden = !panel.timelineNext;
  reobserve(ui.timelineMore);
}

const newestFirst = (a, b) =>
  Date.parse(b.created_at) - Date.parse(a.created_at) || (b.id > a.id ? 1 : -1);

async function loadTimeline({ more = false } = {}) {
  const id = panel.contactId;
  if (!id || (more && (!panel.timelineNext || panel.timelineRequest))) {
    return;
  }
  panel.timelineRequest?.abort();
  const request = new AbortController();
  panel.timelineRequest = request;
  ui.timelineMore.disabled = true;
  if (!more) {
    ui.timelineStatus.textContent = "Loading history…";
  }
  try {
    const page = await getJSON(more ? panel.timelineNext : urls.contactTimeline(id), {
      signal: request.signal,
    });
    if (panel.contactId !== id) {
      return;
    }
    const items = page.timeline ?? [];
    panel.timeline = more
      ? mergeByKey(panel.timeline, items, "id", (_, incoming) => incoming, newestFirst)
      : items;
    panel.timelineNext = page.next;
    renderTimeline();
    ui.timelineStatus.textContent = panel.timeline.length ? "" : "Nothing said yet.";
  } catch (error) {
    if (error.name !== "AbortError") {
      ui.timelineStatus.textContent = error.message;
    }
  } finally {
    if (panel.timelineRequest === request) {
      panel.timelineRequest = null;
      ui.timelineMore.disabled = false;
    }
  }
}

async function loadContact(id) {
  panel.request?.abort();
  const request = new AbortController();
  panel.request = request;
  ui.status.textContent = "Loading contact…";
  try {
    const contact = await getJSON(urls.contact(id), { signal: request.signal });
    if (panel.contactId === id) {
      panel.contact = contact;
      ui.status.textContent = "";
      renderContact();
    }
  } catch (error) {
    if (error.name !== "AbortError" && panel.contactId === id) {
      ui.status.textContent = error.message;
    }
  } finally {
    if (panel.request === request) {
      panel.request = null;
    }
  }
}

// The open conversation's contact ({id, name}, or null: an internal conversation, or one
// whose contact was deleted). The panel loads whenever it names another contact.
export function followContact(contact) {
  const id = contact?.id ?? null;
  ui.toggle.hidden = !id;
  if (id === panel.contactId) {
    return;
  }
  panel.contactId = id;
  panel.contact = null;
  panel.timeline = [];
  panel.timelineNext = null;
  closeNameForm();
  for (const form of [ui.phoneForm, ui.emailForm, ui.notesForm]) {
    form.reset();
    clearErrors(form);
  }
  ui.notesSaved.textContent = "";
  ui.panel.hidden = !id;
  if (!id) {
    panel.request?.abort();
    panel.timelineRequest?.abort();
    setOpen(false);
    return;
  }
  ui.name.textContent = contact.name || "Contact";
  renderContact();
  renderTimeline();
  setOpen(panel.wantedOpen && !drawerScreen.matches);
  loadContact(id);
  loadTimeline();
}

// After a merge, or anything else that changed the contact elsewhere: read it again.
export function reloadContact(contact = null) {
  if (!panel.contactId) {
    return;
  }
  if (contact?.id === panel.contactId) {
    panel.contact = contact;
    renderContact();
  } else {
    loadContact(panel.contactId);
  }
  loadTimeline();
}

// One PATCH of the contact from one of the panel's forms: the answer is the contact.
async function saveContact(form, changes) {
  const id = panel.contactId;
  clearErrors(form);
  setBusy(form, true);
  try {
    const contact = await patchJSON(urls.contact(id), changes);
    if (panel.contactId === id) {
      panel.contact = contact;
      renderContact();
    }
    panel.hooks.onContactChanged(contact);
    return true;
  } catch (error) {
    showErrors(form, readableError(error, FIELD_WORDS));
    return false;
  } finally {
    setBusy(form, false);
  }
}

function openNameForm() {
  const input = ui.nameForm.elements.namedItem("name");
  input.value = panel.contact?.name ?? "";
  clearErrors(ui.nameForm);
  ui.nameForm.hidden = false;
  ui.name.parentElement.hidden = true;
  input.focus();
  input.select();
}

function closeNameForm({ focus = false } = {}) {
  ui.nameForm.hidden = true;
  ui.name.parentElement.hidden = false;
  if (focus) {
    ui.rename.focus();
  }
}

async function saveName(event) {
  event.preventDefault();
  const name = ui.nameForm.elements.namedItem("name").value;
  if (await saveContact(ui.nameForm, { name })) {
    closeNameForm({ focus: true });
  }
}

// Adding a number or an address sends the whole list back with it last: the API's list
// replaces the contact's, in order, so the primary stays first.
function addPoint(form, kind) {
  return async (event) => {
    event.preventDefault();
    const input = form.elements.namedItem(kind);
    const value = input.value.trim();
    if (!value || !panel.contact) {
      return;
    }
    const values = (panel.contact[kind] ?? []).map((point) => point.value);
    if (await saveContact(form, { [kind]: [...values, value] })) {
      form.reset();
      input.focus();
    }
  };
}

async function saveNotes(event) {
  event.preventDefault();
  ui.notesSaved.textContent = "";
  const notes = ui.notesForm.elements.namedItem("notes").value;
  if (await saveContact(ui.notesForm, { notes })) {
    ui.notesSaved.textContent = "Saved.";
  }
}

function onTimelineClick(event) {
  const link = event.target.closest("a[data-target]");
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) {
    return;
  }
  event.preventDefault();
  if (drawerScreen.matches) {
    setOpen(false);
  }
  panel.hooks.onOpenItem({ channel: link.dataset.channel, id: link.dataset.target });
}

// hooks: onContactChanged(contact) after each change saved here, onOpenItem({channel, id})
// for a click on a timeline item.
export function setupContactPanel(hooks) {
  Object.assign(panel.hooks, hooks);
  ui.toggle.addEventListener("click", togglePanel);
  ui.close.addEventListener("click", togglePanel);
  ui.panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented && drawerScreen.matches && isOpen()) {
      togglePanel();
    }
  });
  ui.rename.addEventListener("click", openNameForm);
  ui.nameForm.addEventListener("submit", saveName);
  ui.nameForm.querySelector("[data-cancel]").addEventListener("click", () =>
    closeNameForm({ focus: true }),
  );
  ui.nameForm.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      closeNameForm({ focus: true });
    }
  });
  ui.phoneForm.addEventListener("submit", addPoint(ui.phoneForm, "phones"));
  ui.emailForm.addEventListener("submit", addPoint(ui.emailForm, "emails"));
  ui.notesForm.addEventListener("submit", saveNotes);
  ui.notesForm.addEventListener("input", () => {
    ui.notesSaved.textContent = "";
  });
  ui.timeline.addEventListener("click", onTimelineClick);
  loadOnScroll(ui.timelineMore, ui.scroll, () => loadTimeline({ more: true }));
  ui.timelineMore.addEventListener("click", () => loadTimeline({ more: true }));
  // Crossing the breakpoint: a column keeps the person's choice, a drawer starts closed.
  drawerScreen.addEventListener("change", () => {
    if (panel.contactId) {
      setOpen(panel.wantedOpen && !drawerScreen.matches);
    }
  });
}
