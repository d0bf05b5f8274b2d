// The dialog that loads contacts from a CSV file (its button is in the header), and what
// became of the file: how many contacts were created and updated, and each refused row
// with its line and why. The dialog stays open on that summary, so that the refused rows
// can be read and fixed.

import { postJSON } from "./api.js";
import { clearErrors, readableError, setBusy, setupFormDialog, showErrors } from "./forms.js";
import { byId, urls } from "./page.js";
import { h } from "./render.js";

const ui = {
  button: byId("import-contacts-button"),
  dialog: byId("import-dialog"),
  form: byId("import-form"),
  file: byId("import-file"),
  summary: byId("import-summary"),
};

const hooks = { onImported: () => {} };

function count(number, one, many) {
  return `${number} ${number === 1 ? one : many}`;
}

function renderSummary(result) {
  const refused = Array.isArray(result.refused) ? result.refused : [];
  const counts = [
    `${count(result.created ?? 0, "contact", "contacts")} created`,
    `${result.updated ?? 0} updated`,
    result.unchanged ? `${result.unchanged} already up to date` : "",
    `${count(refused.length, "row", "rows")} refused`,
  ].filter(Boolean);
  ui.summary.replaceChildren(
    h("p", { className: "import-counts" }, `${counts.join(", ")}.`),
    refused.length
      ? h(
          "ul",
          { className: "import-refused", "aria-label": "Refused rows" },
          refused.map((row) => h("li", {}, h("strong", {}, `Line ${row.line}: `), row.reason)),
        )
      : null,
  );
  ui.summary.hidden = false;
}

async function importFile(event) {
  event.preventDefault();
  clearErrors(ui.form);
  ui.summary.hidden = true;
  const file = ui.file.files[0];
  if (!file) {
    showErrors(ui.form, { message: "Choose a CSV file to import.", fields: {} });
    return;
  }
  const body = new FormData();
  body.append("file", file, file.name);
  setBusy(ui.form, true);
  try {
    const result = await postJSON(urls.contactsImport, body);
    renderSummary(result);
    ui.file.value = "";
    hooks.onImported(result);
  } catch (error) {
    showErrors(ui.form, readableError(error, { file: "The file" }));
  } finally {
    setBusy(ui.form, false);
  }
}

export function setupContactsImport({ onImported } = {}) {
  if (onImported) {
    hooks.onImported = onImported;
  }
  setupFormDialog({ dialog: ui.dialog, button: ui.button, form: ui.form, onSubmit: importFile });
  ui.button.addEventListener("click", () => {
    ui.summary.hidden = true;
    ui.form.reset();
  });
}
