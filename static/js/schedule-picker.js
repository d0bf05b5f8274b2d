// The Schedule control beside a composer's send button (the reply box, the compose-email
// dialog, the Broadcasts page's form): a menu of times (later today, tomorrow morning, or
// "Pick a time…", which opens a date-and-time field with a button that sets it), and the
// time chosen, shown in the composer ("Sends Tue 8:00 AM · Clear") and on the send button
// ("Schedule"), so that a message never goes later than the person thinks.
//
// The template gives each composer, by `prefix`: `<prefix>-schedule` (the anchor holding
// the button and its menu), `<prefix>-schedule-button`, `<prefix>-schedule-menu`,
// `<prefix>-schedule-picker` (with `<prefix>-send-at`, its `-error`, and buttons
// data-schedule="confirm" and "dismiss") and `<prefix>-schedule-chosen`. The field has no
// name: the API's send_at is built from the chosen time (payload()), never from the form.

import { menuButton, menuItem } from "./menu.js";
import { h, icon, timeElement } from "./render.js";
import {
  CLOCK_ICON,
  earliestSendAt,
  fromLocalInput,
  isoWithOffset,
  localInputValue,
  scheduleChoices,
  sendAtProblem,
  whenText,
} from "./schedule.js";

// Not page.js's: the Broadcasts page uses this control too, and page.js is the inbox's.
const byId = (id) => document.getElementById(id);

// `submit`: the composer's send button; `words`: its text to send now and to schedule;
// `onChange(date | null)`: the chosen time changed (the person's doing, or clear()).
export function schedulePicker({ prefix, submit, words, onChange = () => {} }) {
  const ui = {
    anchor: byId(`${prefix}-schedule`),
    button: byId(`${prefix}-schedule-button`),
    menu: byId(`${prefix}-schedule-menu`),
    picker: byId(`${prefix}-schedule-picker`),
    input: byId(`${prefix}-send-at`),
    error: byId(`${prefix}-send-at-error`),
    chosen: byId(`${prefix}-schedule-chosen`),
  };
  let sendAt = null;
  let unavailable = ""; // why it cannot be used, while the button is disabled

  function showError(text) {
    ui.error.textContent = text;
    ui.error.hidden = !text;
    if (text) {
      ui.input.setAttribute("aria-invalid", "true");
    } else {
      ui.input.removeAttribute("aria-invalid");
    }
  }

  function draw() {
    submit.textContent = sendAt ? words.later : words.now;
    if (!sendAt) {
      const reason = unavailable ? [h("span", { className: "muted" }, unavailable)] : [];
      ui.chosen.replaceChildren(...reason);
      return;
    }
    const clear = h(
      "button",
      { type: "button", className: "link-button", "aria-label": "Clear the scheduled time" },
      "Clear",
    );
    clear.addEventListener("click", () => {
      set(null);
      ui.button.focus();
    });
    ui.chosen.replaceChildren(
      icon(CLOCK_ICON),
      h("span", {}, "Sends ", timeElement(sendAt.toISOString(), whenText(sendAt))),
      h("span", { "aria-hidden": "true" }, "·"),
      clear,
    );
  }

  function set(date, { quiet = false } = {}) {
    sendAt = date;
    draw();
    if (!quiet) {
      onChange(sendAt);
    }
  }

  function closePicker({ focusButton = false } = {}) {
    ui.picker.hidden = true;
    showError("");
    if (focusButton) {
      ui.button.focus();
    }
  }

  function openPicker() {
    ui.input.min = localInputValue(earliestSendAt());
    ui.input.value = localInputValue(sendAt ?? scheduleChoices().at(-1).at);
    showError("");
    ui.picker.hidden = false;
    // The menu gives focus back to its button as it closes, after this item's click.
    setTimeout(() => ui.input.focus());
  }

  function confirmPicked() {
    const date = fromLocalInput(ui.input.value);
    const problem = sendAtProblem(date);
    if (problem) {
      showError(problem);
      ui.input.focus();
      return;
    }
    closePicker();
    set(date);
    ui.button.focus();
  }

  menuButton({
    button: ui.button,
    menu: ui.menu,
    label: "When to send",
    fill: (menu) => {
      const items = scheduleChoices().map(({ text, at, detail }) =>
        menuItem({ text, detail, onChoose: () => set(at) }),
      );
      items.push(menuItem({ text: "Pick a time…", onChoose: openPicker }));
      if (sendAt) {
        items.push(menuItem({ text: "Send now instead", onChoose: () => set(null) }));
      }
      menu.replaceChildren(...items);
    },
  });
  ui.picker.querySelector("[data-schedule=confirm]").addEventListener("click", confirmPicked);
  ui.picker
    .querySelector("[data-schedule=dismiss]")
    .addEventListener("click", () => closePicker({ focusButton: true }));
  ui.input.addEventListener("input", () => showError(""));
  ui.input.addEventListener("keydown", (event) => {
    // Enter sets the time rather than sending the form; Escape leaves the field (and,
    // in the compose dialog, keeps the dialog open).
    if (event.key === "Enter") {
      event.preventDefault();
      confirmPicked();
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      closePicker({ focusButton: true });
    }
  });
  draw();

  return {
    get sendAt() {
      return sendAt;
    },
    // Another draft's time (or none), without telling onChange.
    restore(date) {
      closePicker();
      set(date ?? null, { quiet: true });
    },
    clear() {
      closePicker();
      set(null, { quiet: true });
    },
    // Where a message cannot be scheduled (an internal conversation), no control shows;
    // with a `reason`, the button shows disabled and the reason is said in its place.
    setAvailable(available, { reason = "" } = {}) {
      ui.anchor.hidden = !available && !reason;
      ui.button.disabled = !available;
      const because = available ? "" : reason;
      if (!available) {
        closePicker();
      }
      if (!available && sendAt) {
        unavailable = because;
        set(null);
      } else if (because !== unavailable) {
        unavailable = because;
        draw();
      }
    },
    submitText() {
      return sendAt ? words.later : words.now;
    },
    // Why the chosen time cannot be used now (it may have passed while the person typed).
    problem() {
      return sendAt ? sendAtProblem(sendAt) : "";
    },
    payload() {
      return sendAt ? { send_at: isoWithOffset(sendAt) } : {};
    },
    whenText() {
      return sendAt ? whenText(sendAt) : "";
    },
  };
}
