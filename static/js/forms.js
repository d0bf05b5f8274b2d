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

// Once the person changes what a message was about, the message is old news: the form's
// banner goes, and so does the message under the control they changed.
export function clearErrorsOnInput(event) {
  const form = event.currentTarget;
  const general = document.getElementById(`${form.id}-error`);
  if (general) {
    general.textContent = "";
    general.hidden = true;
  }
  const control = event.target;
  const own = control?.id ? document.getElementById(`${control.id}-error`) : null;
  if (own?.classList.contains("field-error")) {
    own.textContent = "";
    own.hidden = true;
  }
  control?.removeAttribute?.("aria-invalid");
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

// What people call the API's fields, wherever a composer reports a fault in one: the SMS
// and the email composers name the same thing with the same word.
const FIELD_WORDS = {
  to: "recipient",
  to_email: "recipient",
  from: "sender",
  from_email: "sender",
  body: "message",
  html_content: "HTML",
  subject: "subject",
  cc: "Cc",
  bcc: "Bcc",
  reply_to: "Reply-To address",
  media: "files",
  attachments: "files",
  in_reply_to: "email you are replying to",
  forward_of: "email you are forwarding",
  send_at: "time to send at",
};

const capitalised = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const quoted = (value) => `“${value}”`;

export function tooLongSentence(word, limit) {
  return `The ${word} is too long: at most ${Number(limit).toLocaleString("en")} characters.`;
}

const SENDER_REFUSED =
  "Hatch cannot send from this number or address. Ask an admin which ones Hatch sends from.";

// Each fault the API reports, known by its wording, and the sentence people read instead:
// `word` is what people call the field ("recipient"), `field` the API's name for it.
const FAULTS = [
  [
    /is an email address; send email/,
    () => "That is an email address: write to it with Compose email.",
  ],
  [
    /(SMS|Email) sending is not configured/i,
    ({ match }) => {
      const channel = match[1].toLowerCase() === "sms" ? "SMS" : "email";
      return `Hatch is not set up to send ${channel} yet: ask an admin to set it up.`;
    },
  ],
  [/must be (one of Hatch's sending numbers|an allowed sender)/, () => SENDER_REFUSED],
  [/of an internal message must be a name|is neither an email address nor/, () => SENDER_REFUSED],
  [/may not be blank unless media are sent/, () => "Write a message or attach a file first."],
  [
    /may not be blank|This field is required|This field may not be (blank|null)/,
    ({ field, word }) => (field === "body" ? "Write a message first." : `Fill in the ${word}.`),
  ],
  [
    /is not a valid phone number: '(.*?)'/,
    ({ match }) =>
      `${quoted(match[1])} is not a phone number Hatch can text. ` +
      "Use international format, e.g. +14155552671.",
  ],
  [
    /is not a valid email address: '(.*?)'/,
    ({ match }) => `${quoted(match[1])} is not a valid email address.`,
  ],
  [
    /is not a valid email address|Enter a valid email address/,
    ({ word }) => `The ${word} is not a valid email address.`,
  ],
  [
    /the limit is (\d+)|too long: at most (\d+) characters|no more than (\d+) characters/,
    ({ match, word }) => tooLongSentence(word, match[1] ?? match[2] ?? match[3]),
  ],
  [
    /may list at most (\d+) addresses/,
    ({ match, word }) => `${capitalised(word)} may list at most ${match[1]} addresses.`,
  ],
  [/must be a single line/, ({ word }) => `The ${word} must be a single line.`],
  [
    /NUL characters|control characters|not valid text/,
    ({ word }) => `The ${word} holds characters that cannot be sent.`,
  ],
  [
    /names no email/,
    ({ word }) => `The ${word} no longer exists. Reload the page and try again.`,
  ],
  [/not both: an email answers/, () => "An email can reply to an email or forward it, not both."],
  // Scheduled sends (send_at), and changing or canceling one once it has gone.
  [/must be at least a minute from now/, () => "Pick a time at least a minute from now."],
  [/may be at most a year from now/, () => "Pick a time within a year from now."],
  [
    /needs a time zone offset|Give the time with its offset|Datetime has wrong format/,
    () => "Hatch could not read that time. Pick it again.",
  ],
  [
    /Only an SMS can be scheduled/,
    () => "Only an SMS can be scheduled: an internal message is posted at once.",
  ],
  [
    /Only a scheduled \w+ can be changed or canceled; this one is (\w+)/,
    ({ match }) => `Too late to change or cancel: it is ${match[1]} already.`,
  ],
  [
    /DATA_UPLOAD_MAX_MEMORY_SIZE/,
    () => "What you are sending is too large in all. Send fewer or smaller files.",
  ],
];

// Any other sentence: the API's quoted field names become words, and the clause that
// names an endpoint ("; send email with POST /api/send_email") goes.
function reworded(text) {
  const named = (whole, name) => (FIELD_WORDS[name] ? `the ${FIELD_WORDS[name]}` : whole);
  return text
    .replace(/[;,]?\s*[^.;,]*\b(GET|POST|PUT|PATCH|DELETE) \/[^.;,\s]*[^.;,]*/g, "")
    .replace(/\.(\s*\.)+/g, ".")
    .replace(/'([a-z_]+)'/g, named)
    // Only the words put in for a field name: a sentence may start with a file's name.
    .replace(/(^|[.!?]\s+)the /g, (_, start) => `${start}The `);
}

function personalSentence(text, field) {
  // A fault the API tied to no field may still name one at the start ("'to' is ...").
  const name = field ?? /^'([a-z_]+)'/.exec(text)?.[1] ?? null;
  const word = FIELD_WORDS[name] ?? "details";
  for (const [pattern, say] of FAULTS) {
    const match = pattern.exec(text);
    if (match) {
      return say({ match, field: name, word });
    }
  }
  return reworded(text);
}

// The composers' faults as people say them. The API's sentences name its fields and
// endpoints ("'to_email' is not a valid email address", "send email with POST
// /api/send_email"), and API clients rely on them; the inbox shows words instead, the same
// sentence for the same fault in every composer. Each field's messages are read by the
// field the API names; the general message is made of them.
export function personalError(error) {
  const byField = Object.entries(error.fields ?? {});
  const general = byField
    .filter(([name]) => name === "non_field_errors")
    .flatMap(([, messages]) => messages.map((text) => personalSentence(text, null)));
  const fields = Object.fromEntries(
    byField
      .filter(([name]) => name !== "non_field_errors")
      .map(([name, messages]) => [name, messages.map((text) => personalSentence(text, name))]),
  );
  const sentences = [...general, ...Object.values(fields).flat()];
  const message = sentences.length
    ? sentences.join(" ")
    : personalSentence(error.message ?? "", null);
  return { message, fields, status: error.status };
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
  form.addEventListener("input", clearErrorsOnInput);
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
