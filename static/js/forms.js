// Forms and dialogs: show the API's errors where they belong, give each composed message
// one Idempotency-Key, and close modals the usual ways.
//
// Conventions in the templates: a control is named like the API field it feeds; its message
// goes to the element with id "<control id>-error"; the form's general message goes to
// "<form id>-error".

export function clearErrors(form) {
  for (const element of form.querySelectorAll(".field-error")) {
    element.textContent = "";
    element.hidden = true;
  }
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
  }
  const general = document.getElementById(`${form.id}-error`);
  general.textContent = "";
  general.hidden = true;
}

// Field messages go under their fields; the server's sentence goes on top whenever some
// of it could not be placed, so nothing the server said is lost.
export function showErrors(form, error) {
  clearErrors(form);
  let firstInvalid = null;
  let unplaced = Object.keys(error.fields ?? {}).length === 0;
  for (const [name, messages] of Object.entries(error.fields ?? {})) {
    const control = form.elements.namedItem(name);
    const target = control?.id ? document.getElementById(`${control.id}-error`) : null;
    if (!target) {
      unplaced = true;
      continue;
    }
    target.textContent = messages.join(" ");
    target.hidden = false;
    control.setAttribute("aria-invalid", "true");
    firstInvalid ??= control;
  }
  if (unplaced) {
    const general = document.getElementById(`${form.id}-error`);
    general.textContent = error.message;
    general.hidden = false;
  }
  firstInvalid?.focus();
}

// The API's sentences name its fields ("'phones' is not a valid phone number"); a form
// that speaks to people puts its own words in their place: `words` maps a field's name to
// what a person calls it ("The number").
export function readableError(error, words) {
  const reword = (text) =>
    text
      .replace(/'([a-z_]+)'/g, (quoted, name) => words[name]?.toLowerCase() ?? quoted)
      .replace(/(^|[.!?]\s+)([a-z])/g, (_, start, letter) => start + letter.toUpperCase());
  const fields = Object.fromEntries(
    Object.entries(error.fields ?? {}).map(([name, messages]) => [name, messages.map(reword)]),
  );
  return { message: reword(error.message), fields, status: error.status };
}

export function setBusy(form, busy) {
  form.setAttribute("aria-busy", busy ? "true" : "false");
  for (const button of form.querySelectorAll("button[type=submit]")) {
    button.disabled = busy;
  }
}

// Ids for what the page sends, made before Hatch answers: a reply's own record until the
// stored message takes its place, and Idempotency-Keys.
export function temporaryId() {
  if (crypto.randomUUID) {
    return `tmp-${crypto.randomUUID()}`;
  }
  // randomUUID needs a secure context; getRandomValues does not.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `tmp-${[...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

// One Idempotency-Key per composed message: sending the same form again after an answer
// was lost reuses it, so the server stores the message once; an edit names a new message.
export function formSendKey(form) {
  if (!form.dataset.sendKey) {
    form.dataset.sendKey = temporaryId().slice("tmp-".length);
  }
  return form.dataset.sendKey;
}

export function forgetFormSendKey(event) {
  delete event.currentTarget.dataset.sendKey;
}

const FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";

function focusables(container) {
  return [...container.querySelectorAll(FOCUSABLE)].filter(
    (element) => !element.disabled && element.tabIndex >= 0 && element.getClientRects().length > 0,
  );
}

// showModal() makes the page behind the dialog inert, but Tab from the dialog's last control
// still leaves the page for the browser's own toolbar. Tab and Shift+Tab cycle inside instead.
function trapFocus(dialog) {
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab" || event.defaultPrevented) {
      return;
    }
    const items = focusables(dialog);
    if (!items.length) {
      return;
    }
    const first = items[0];
    const last = items.at(-1);
    const active = document.activeElement;
    const outside = !dialog.contains(active) || active === dialog;
    if (event.shiftKey && (active === first || outside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || outside)) {
      event.preventDefault();
      first.focus();
    }
  });
}

// A modal <dialog> closes on Esc (natively), on any [data-close] button, and on a click on
// its backdrop: the click's target is then the dialog itself, outside its box. Focus stays
// inside while it is open.
export function setupDialog(dialog, { onClose } = {}) {
  trapFocus(dialog);
  for (const button of dialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dialog.close());
  }
  dialog.addEventListener("click", (event) => {
    if (event.target !== dialog) {
      return;
    }
    const box = dialog.getBoundingClientRect();
    const inside =
      event.clientX >= box.left &&
      event.clientX <= box.right &&
      event.clientY >= box.top &&
      event.clientY <= box.bottom;
    if (!inside) {
      dialog.close();
    }
  });
  if (onClose) {
    dialog.addEventListener("close", onClose);
  }
}

// A dialog holding one send form, opened by a button: opening clears a previous try's
// errors, and an edited form is a new send (its Idempotency-Key is forgotten).
export function setupFormDialog({ dialog, button, form, onSubmit }) {
  setupDialog(dialog);
  button.addEventListener("click", () => {
    clearErrors(form);
    dialog.showModal();
  });
  form.addEventListener("submit", onSubmit);
  form.addEventListener("input", forgetFormSendKey);
}

// Sends a dialog's form: its errors are shown on the form, and in a toast as well when the
// dialog was closed meanwhile; the form's send key stays for a retry of the same form and
// is forgotten once the send succeeds.
export async function submitDialogForm({ dialog, form, send, onSent, onClosedFailure }) {
  clearErrors(form);
  setBusy(form, true);
  try {
    const result = await send(formSendKey(form));
    dialog.close();
    form.reset();
    delete form.dataset.sendKey;
    await onSent(result);
  } catch (error) {
    showErrors(form, error);
    if (!dialog.open) {
      onClosedFailure(error);
    }
  } finally {
    setBusy(form, false);
  }
}
