// How a message or an email that waits to be sent is drawn in its thread: when it goes
// (and why later, when quiet hours hold it), its Edit and Cancel buttons, the reason a
// change was refused, and the form that changes it in place; and, once canceled, when it
// was to go. render-thread.js and render-email.js call these; like them, no state and no
// requests (scheduled-edits.js acts on the buttons).

import { h, icon, timeElement } from "./render.js";
import { CLOCK_ICON, earliestSendAt, localInputValue, whenText } from "./schedule.js";

export function isScheduled(record) {
  return record.status === "scheduled" && record.direction !== "inbound";
}

function at(iso) {
  return timeElement(iso, whenText(new Date(iso)));
}

// "Scheduled for Tue 8:00 AM · held until 08:00 (recipient's time)". A record held by
// quiet hours without a time asked for (a send now, under QUIET_HOURS_STRICT) waits too.
export function scheduleLine(record) {
  if (isScheduled(record)) {
    const when = record.scheduled_for
      ? ["Scheduled for ", at(record.scheduled_for)]
      : ["Waiting to be sent"];
    return h(
      "p",
      { className: "schedule-line" },
      icon(CLOCK_ICON),
      h("span", {}, ...when, record.held_note ? ` · ${record.held_note}` : ""),
    );
  }
  if (record.status === "canceled" && record.scheduled_for) {
    return h(
      "p",
      { className: "schedule-line is-canceled" },
      h("span", {}, "Was scheduled for ", at(record.scheduled_for)),
    );
  }
  return null;
}

// `view`: scheduled-edits.js's view() of the record ({busy, refusal, ...}), or null.
export function scheduleActions(record, view, noun) {
  if (!isScheduled(record) || view?.editing) {
    return null;
  }
  const button = (action, text, className) =>
    h(
      "button",
      { type: "button", className, "data-action": action, disabled: Boolean(view?.busy) },
      text,
      h("span", { className: "visually-hidden" }, ` scheduled ${noun}`),
    );
  return h(
    "div",
    { className: "message-actions schedule-actions" },
    button("edit-scheduled", "Edit", "button button-small"),
    button("cancel-scheduled", "Cancel", "button button-small button-quiet"),
  );
}

export function scheduleRefusal(view) {
  return view?.refusal ? h("p", { className: "message-error", role: "alert" }, view.refusal) : null;
}

// The form that changes a scheduled record: its text (and an email's subject) and its
// time. `values` are what the person has typed so far, kept across redraws.
export function scheduleEditor(record, { view, values, noun, fields }) {
  const id = `schedule-edit-${record.id}`;
  const field = (name, label, control, hint = null) =>
    h("div", { className: "field" }, h("label", { for: `${id}-${name}` }, label), control, hint);
  return h(
    "form",
    {
      className: "schedule-editor",
      "data-edit-of": record.id,
      "aria-label": `Change the scheduled ${noun}`,
      "aria-busy": view.saving ? "true" : "false",
      novalidate: true,
    },
    fields.includes("subject")
      ? field(
          "subject",
          "Subject",
          h("input", {
            type: "text",
            id: `${id}-subject`,
            "data-edit": "subject",
            value: values.subject,
          }),
        )
      : null,
    field(
      "body",
      "Message",
      h("textarea", { id: `${id}-body`, "data-edit": "body", rows: "3" }, values.body),
      record.html_content
        ? h("p", { className: "field-hint" }, "Only the text changes: the HTML goes as it was.")
        : null,
    ),
    field(
      "time",
      "Send at",
      h("input", {
        type: "datetime-local",
        id: `${id}-time`,
        "data-edit": "time",
        value: values.time,
        min: localInputValue(earliestSendAt()),
      }),
    ),
    view.error ? h("p", { className: "field-error", role: "alert" }, view.error) : null,
    h(
      "div",
      { className: "message-actions" },
      h(
        "button",
        { type: "submit", className: "button button-small button-primary", disabled: view.saving },
        view.saving ? "Saving…" : "Save",
      ),
      h(
        "button",
        { type: "button", className: "button button-small", "data-action": "edit-close" },
        "Discard changes",
      ),
    ),
  );
}
