// The merge dialog, opened from the contact panel: search for the other contact, pick it,
// read what the merge will do, confirm. The panel's contact is the one kept; the other is
// folded into it (its numbers, addresses, notes, conversations and email threads) and
// deleted.

import { getJSON, postJSON } from "./api.js";
import { readableError, setupFormDialog, submitDialogForm } from "./forms.js";
import { byId, showToast, urls } from "./page.js";
import { displayContact, h } from "./render.js";

const ui = {
  button: byId("contact-merge-button"),
  dialog: byId("merge-dialog"),
  form: byId("merge-form"),
  search: byId("merge-search"),
  keepName: byId("merge-keep-name"),
  results: byId("merge-results"),
  resultsStatus: byId("merge-results-status"),
  confirmation: byId("merge-confirmation"),
  submit: byId("merge-submit"),
};

const merge = {
  keep: null, // the contact kept: the panel's
  found: [],
  picked: null,
  request: null,
  timer: null,
  hooks: { currentContact: () => null, onMerged: () => {} },
};

function contactName(contact) {
  return contact.name?.trim() || "this unnamed contact";
}

function pointsOf(contact) {
  return [...(contact.phones ?? []), ...(contact.emails ?? [])].map((point) =>
    displayContact(point.value),
  );
}

// What will happen, in words, before anything does.
function confirmationText(keep, other) {
  const keepName = contactName(keep);
  const otherName = contactName(other);
  const points = pointsOf(other);
  const moving = points.length
    ? `${points.join(", ")} and their notes, conversations and email threads`
    : "Their notes, conversations and email threads";
  return (
    `${otherName} will be merged into ${keepName}. ${moving} will belong to ${keepName}, ` +
    `and ${otherName} will be deleted. This cannot be undone.`
  );
}

function renderResults() {
  const candidates = merge.found.filter((contact) => contact.id !== merge.keep?.id);
  ui.results.replaceChildren(
    ...candidates.map((contact) => {
      const input = h("input", {
        type: "radio",
        name: "other",
        value: contact.id,
        checked: merge.picked?.id === contact.id,
      });
      return h(
        "li",
        {},
        h(
          "label",
          { className: "merge-candidate" },
          input,
          h(
            "span",
            {},
            h("span", { className: "merge-candidate-name" }, contact.name?.trim() || "No name"),
            h("span", { className: "muted" }, pointsOf(contact).join(", ")),
          ),
        ),
      );
    }),
  );
  const query = ui.search.value.trim();
  ui.resultsStatus.textContent =
    candidates.length || !query ? "" : `No other contact matches “${query}”.`;
}

function renderConfirmation() {
  ui.confirmation.hidden = !merge.picked;
  ui.confirmation.textContent = merge.picked ? confirmationText(merge.keep, merge.picked) : "";
  ui.submit.disabled = !merge.picked;
}

async function search() {
  clearTimeout(merge.timer);
  const query = ui.search.value.trim();
  merge.request?.abort();
  if (!query) {
    merge.found = [];
    renderResults();
    return;
  }
  const request = new AbortController();
  merge.request = request;
  ui.resultsStatus.textContent = "Searching…";
  try {
    const page = await getJSON(`${urls.contacts}?${new URLSearchParams({ q: query })}`, {
      signal: request.signal,
    });
    merge.found = page.contacts ?? [];
    renderResults();
  } catch (error) {
    if (error.name !== "AbortError") {
      ui.resultsStatus.textContent = error.message;
    }
  }
}

function open() {
  merge.keep = merge.hooks.currentContact();
  merge.found = [];
  merge.picked = null;
  ui.search.value = "";
  ui.keepName.textContent = merge.keep ? contactName(merge.keep) : "this contact";
  renderResults();
  renderConfirmation();
  ui.search.focus();
}

async function submitMerge(event) {
  event.preventDefault();
  const keep = merge.keep;
  const other = merge.picked;
  if (!keep || !other) {
    return;
  }
  await submitDialogForm({
    dialog: ui.dialog,
    form: ui.form,
    send: async () => {
      try {
        return await postJSON(urls.contactMerge(keep.id), { other: other.id });
      } catch (error) {
        throw readableError(error, { other: "The other contact" });
      }
    },
    onSent: (contact) => {
      showToast(`${contactName(other)} was merged into ${contactName(contact)}.`);
      merge.hooks.onMerged(contact);
    },
    onClosedFailure: (error) => showToast(`Contacts not merged: ${error.message}`),
  });
}

// hooks: currentContact() the contact kept, onMerged(contact) once merged.
export function setupContactMerge(hooks) {
  Object.assign(merge.hooks, hooks);
  setupFormDialog({ dialog: ui.dialog, button: ui.button, form: ui.form, onSubmit: submitMerge });
  ui.button.addEventListener("click", open);
  ui.search.addEventListener("input", () => {
    clearTimeout(merge.timer);
    merge.timer = setTimeout(search, 250);
  });
  ui.search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault(); // Enter searches; the merge needs its own button
      search();
    }
  });
  ui.results.addEventListener("change", (event) => {
    merge.picked = merge.found.find((contact) => contact.id === event.target.value) ?? null;
    renderConfirmation();
  });
}
