// Changing and canceling what waits to be sent, from its thread (an SMS in its
// conversation, an email in the Emails view). Edit opens a form in place of the record (its
// text, an email's subject, its time: a PATCH); Cancel stops it (POST .../cancel). Once its
// sending has begun Hatch answers 409: the reason shows under it, and the record is fetched
// again, so that what shows is what happened. A record that leaves "scheduled" while its
// form is open (sent, or canceled by a teammate) closes the form and says so.
//
// One controller per thread view, told how to find, store and redraw its records; the
// drawing is render-schedule.js's, from view() and values().

import { getJSON, patchJSON, postJSON } from "./api.js";
import { personalError } from "./forms.js";
import { showToast } from "./page.js";
import { fromLocalInput, isoWithOffset, localInputValue, sendAtProblem } from "./schedule.js";

// `list`: the element the records are drawn in, each item carrying its id in `attribute`;
// `fields`: what the form edits besides the time ("body", and "subject" for an email);
// `urls`: {record(id), cancel(id)}; `find(id)`: the record shown; `apply(record)`: a newer
// copy from Hatch, to merge (and redraw); `redraw()`; `statusLabel(status)`: its word.
export function scheduledEdits({
  list,
  attribute,
  noun,
  fields,
  urls,
  find,
  apply,
  redraw,
  statusLabel,
}) {
  const edits = new Map(); // id -> {values, error, saving}
  const refusals = new Map(); // id -> why a change or a cancel did not happen
  const canceling = new Set();

  const idOf = (element) => element?.closest(`[${attribute}]`)?.getAttribute(attribute) ?? null;
  const itemOf = (id) => list.querySelector(`[${attribute}="${CSS.escape(id)}"]`);

  function focusIn(id, selector) {
    itemOf(id)?.querySelector(selector)?.focus();
  }

  function originalTime(record) {
    return record.scheduled_for ? localInputValue(new Date(record.scheduled_for)) : "";
  }

  function read(form) {
    const value = (name) => form.querySelector(`[data-edit="${name}"]`)?.value ?? "";
    return { subject: value("subject"), body: value("body"), time: value("time") };
  }

  function startEdit(record) {
    refusals.delete(record.id);
    const values = {
      subject: record.subject ?? "",
      body: record.body ?? "",
      time: originalTime(record),
    };
    edits.set(record.id, { values, error: "", saving: false });
    redraw();
    focusIn(record.id, '[data-edit="body"]');
  }

  function closeEdit(id) {
    edits.delete(id);
    redraw();
    focusIn(id, '[data-action="edit-scheduled"]');
  }

  // Too late (409): it went, or was canceled, meanwhile. What it is now is fetched.
  async function tooLate(id, error) {
    edits.delete(id);
    refusals.set(id, personalError(error).message);
    try {
      apply(await getJSON(urls.record(id)));
    } catch {
      // The reason stands; the next update shows its status.
    }
    redraw();
  }

  async function cancel(id) {
    refusals.delete(id);
    canceling.add(id);
    redraw();
    try {
      const canceled = await postJSON(urls.cancel(id));
      canceling.delete(id);
      apply(canceled);
      redraw();
      showToast(`Scheduled ${noun} canceled: it will not be sent.`);
      // Its buttons are gone: focus goes back to the thread it is in.
      list.closest('[tabindex="0"]')?.focus();
    } catch (error) {
      canceling.delete(id);
      if (error.status === 409) {
        await tooLate(id, error);
      } else {
        refusals.set(id, personalError(error).message);
        redraw();
      }
    }
  }

  async function save(id, form) {
    const record = find(id);
    const edit = edits.get(id);
    if (!record || !edit || edit.saving) {
      return;
    }
    edit.values = read(form);
    const { subject, body, time } = edit.values;
    const changes = {};
    if (fields.includes("subject") && subject !== (record.subject ?? "")) {
      changes.subject = subject;
    }
    if (body !== (record.body ?? "")) {
      changes.body = body;
    }
    if (time !== originalTime(record)) {
      const date = fromLocalInput(time);
      const problem = sendAtProblem(date);
      if (problem) {
        edit.error = problem;
        redraw();
        focusIn(id, '[data-edit="time"]');
        return;
      }
      changes.send_at = isoWithOffset(date);
    }
    if (!Object.keys(changes).length) {
      closeEdit(id);
      return;
    }
    edit.saving = true;
    edit.error = "";
    redraw();
    try {
      const updated = await patchJSON(urls.record(id), changes);
      edits.delete(id);
      apply(updated);
      redraw();
      focusIn(id, '[data-action="edit-scheduled"]');
      showToast(`Scheduled ${noun} changed.`);
    } catch (error) {
      if (error.status === 409) {
        await tooLate(id, error);
        return;
      }
      edit.saving = false;
      edit.error = personalError(error).message;
      redraw();
      focusIn(id, '[data-edit="body"]');
    }
  }

  function onClick(event) {
    const button = event.target.closest("button[data-action]");
    const id = idOf(button);
    const record = id ? find(id) : null;
    if (!record) {
      return;
    }
    const action = button.dataset.action;
    if (action === "edit-scheduled") {
      startEdit(record);
    } else if (action === "cancel-scheduled") {
      cancel(id);
    } else if (action === "edit-close") {
      closeEdit(id);
    }
  }

  function onSubmit(event) {
    const form = event.target.closest("form[data-edit-of]");
    if (form) {
      event.preventDefault();
      save(form.dataset.editOf, form);
    }
  }

  // What is typed is kept without a redraw (focus and the caret stay), for the next one.
  function onInput(event) {
    const form = event.target.closest("form[data-edit-of]");
    const edit = form ? edits.get(form.dataset.editOf) : null;
    if (edit) {
      edit.values = read(form);
    }
  }

  function onKeydown(event) {
    const form = event.target.closest("form[data-edit-of]");
    if (form && event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      closeEdit(form.dataset.editOf);
    }
  }

  return {
    // What the drawing shows of a record beyond the record itself; null for most.
    view(record) {
      const edit = edits.get(record.id);
      const refusal = refusals.get(record.id) ?? "";
      const busy = canceling.has(record.id);
      if (!edit && !refusal && !busy) {
        return null;
      }
      return {
        editing: Boolean(edit),
        saving: edit?.saving ?? false,
        error: edit?.error ?? "",
        busy,
        refusal,
      };
    },
    // What the form holds (kept out of view(), so that typing never rebuilds it).
    values(id) {
      return edits.get(id)?.values ?? null;
    },
    // A newer copy of a record arrived (pushed, or fetched).
    changed(record) {
      if (edits.has(record.id) && record.status !== "scheduled") {
        edits.delete(record.id);
        const now = statusLabel(record.status).toLowerCase();
        refusals.set(record.id, `Your changes were not saved: it is ${now} now.`);
      }
    },
    setup() {
      list.addEventListener("click", onClick);
      list.addEventListener("submit", onSubmit);
      list.addEventListener("input", onInput);
      list.addEventListener("keydown", onKeydown);
    },
  };
}
