// The compose-email dialog: a new email, or a reply, reply-all or forward prefilled from an
// email of the open thread (the answer lands in that thread); files attached with their
// sizes, checked against the limits before sending; sent now or at a time chosen with
// Schedule (schedule-picker.js). And what the sender hears afterwards:
// Hatch accepting an email is not its delivery, so the outcome is announced when a pushed
// update brings it.

import { EMAIL_LIMITS, filePicker } from "./attachments.js";
import { postJSON } from "./api.js";
import { upsertThreadEmail } from "./email-thread.js";
import {
  clearErrors,
  personalError,
  showErrors,
  setupFormDialog,
  submitDialogForm,
} from "./forms.js";
import { byId, showToast, urls } from "./page.js";
import { emailStatusLabel } from "./render-email.js";
import { schedulePicker } from "./schedule-picker.js";

const FINAL_EMAIL_STATUSES = new Set(["delivered", "bounced", "dropped", "failed"]);

const ui = {
  button: byId("compose-email-button"),
  dialog: byId("compose-email-dialog"),
  form: byId("compose-email-form"),
  title: byId("compose-email-title"),
  context: byId("compose-context"),
  attach: byId("compose-attach"),
};
const sentEmails = new Map(); // id -> status, of the emails sent from this page
// What the open dialog answers: {in_reply_to} or {forward_of}, an email's id; {} for new.
let parent = {};

// The time the email is to be sent at, if one was chosen; a new time is a new send.
const schedule = schedulePicker({
  prefix: "compose",
  submit: ui.form.querySelector("button[type=submit]"),
  words: { now: "Send email", later: "Schedule email" },
  onChange: () => {
    delete ui.form.dataset.sendKey;
    clearErrors(ui.form);
  },
});

const files = filePicker({
  input: byId("compose-files"),
  list: byId("compose-files-list"),
  summary: byId("compose-files-summary"),
  limits: EMAIL_LIMITS,
});

function addressList(text) {
  return text
    .split(/[,;]/)
    .map((part) => part.trim())
    .filter(Boolean);
}

function prefixed(prefix, subject) {
  const text = (subject ?? "").trim();
  return text.toLowerCase().startsWith(prefix.toLowerCase()) ? text : `${prefix} ${text}`.trim();
}

function payloadOf(form) {
  const value = (name) => form.elements.namedItem(name).value;
  const payload = { subject: value("subject"), body: value("body") };
  if (value("to_email").trim()) {
    payload.to_email = value("to_email").trim();
  }
  if (value("html_content").trim()) {
    payload.html_content = value("html_content");
  }
  for (const name of ["cc", "bcc"]) {
    const addresses = addressList(value(name));
    if (addresses.length) {
      payload[name] = addresses;
    }
  }
  if (value("reply_to").trim()) {
    payload.reply_to = value("reply_to").trim();
  }
  return { ...payload, ...parent, ...schedule.payload() };
}

// With files: multipart, each file one "attachments" part, address lists comma-separated.
function sendBody(payload) {
  if (!files.files.length) {
    return payload;
  }
  const body = new FormData();
  for (const [name, value] of Object.entries(payload)) {
    body.append(name, Array.isArray(value) ? value.join(", ") : value);
  }
  for (const file of files.files) {
    body.append("attachments", file, file.name);
  }
  return body;
}

async function sendEmail(event) {
  event.preventDefault();
  const form = ui.form;
  const problem = files.problem();
  if (problem) {
    showErrors(form, { message: problem, fields: { attachments: [problem] } });
    return;
  }
  const payload = payloadOf(form);
  // An email needs words of its own (files alone are not an email Hatch sends): nothing is
  // sent, and the person hears why, in the words the SMS composers use.
  if (!payload.body.trim() && !payload.html_content) {
    const empty = "Write a message first.";
    showErrors(form, { message: empty, fields: { body: [empty] } });
    return;
  }
  // The time may have passed while the email was written.
  const late = schedule.problem();
  if (late) {
    showErrors(form, { message: late });
    return;
  }
  const when = schedule.whenText();
  await submitDialogForm({
    dialog: ui.dialog,
    form,
    send: (idempotencyKey) =>
      postJSON(urls.sendEmail, sendBody(payload), { idempotencyKey }).catch((error) => {
        throw personalError(error);
      }),
    onSent: (result) => {
      files.clear();
      schedule.clear();
      // Accepted is not delivered: say "queued" (or when it goes), and say the outcome when
      // it is known.
      const to = result.email?.to_email ?? payload.to_email;
      showToast(
        result.status === "scheduled"
          ? `Email to ${to} scheduled for ${when}.`
          : `Email to ${to} is ${result.status}.`,
      );
      if (result.email) {
        sentEmails.set(result.email.id, result.email.status);
        upsertThreadEmail(result.email, { created: true });
        hooks.onSent(result.email);
      }
    },
    onClosedFailure: (error) => showToast(`Email not sent: ${error.message}`),
  });
}

const hooks = { onSent: () => {} };

const TITLES = {
  new: "Compose email",
  reply: "Reply",
  "reply-all": "Reply all",
  forward: "Forward",
};

// Fill the dialog for `mode`. A reply goes to whoever wrote the email (for one Hatch
// sent, to its recipient again); reply all copies everyone else on it but Hatch's own
// address; a forward goes to whoever the person types, the original quoted by Hatch.
function prefill(mode, email, thread) {
  const form = ui.form;
  const set = (name, value) => {
    form.elements.namedItem(name).value = value;
  };
  form.reset();
  clearErrors(form);
  delete form.dataset.sendKey; // another email: another Idempotency-Key
  files.clear();
  schedule.clear();
  parent = {};
  ui.title.textContent = TITLES[mode];
  ui.context.hidden = mode === "new";
  if (mode === "new") {
    return;
  }
  const ours = new Set([thread.participants?.[1], email.from_email].filter(Boolean));
  const inbound = email.direction === "inbound";
  const who = email.from_name || email.from_email;
  if (mode === "forward") {
    parent = { forward_of: email.id };
    set("subject", prefixed("Fwd:", email.subject));
    ui.context.textContent = `Forwarding ${who}’s email: it is quoted below your note.`;
    return;
  }
  parent = { in_reply_to: email.id };
  const to = inbound ? email.from_email : email.to_email;
  set("to_email", to);
  set("subject", prefixed("Re:", email.subject));
  if (mode === "reply-all") {
    if (!inbound) {
      ours.delete(email.from_email);
    }
    const others = [email.to_email, ...(email.cc ?? [])].filter(
      (address) => address && address !== to && !(inbound && ours.has(address)),
    );
    set("cc", [...new Set(others)].join(", "));
  }
  ui.context.textContent = `Replying to ${who}; the reply joins this thread.`;
}

// Open the dialog for a reply, a reply all or a forward of an email of a thread.
export function composeFrom({ mode, email, thread }) {
  prefill(mode, email, thread);
  ui.dialog.showModal();
  const focus = mode === "forward" ? "to_email" : "body";
  ui.form.elements.namedItem(focus).focus();
}

// A pushed copy of an email: if this page sent it and its status just became final, the
// sender hears how it ended.
export function reportOutcome(email) {
  const before = sentEmails.get(email.id);
  if (before !== undefined && before !== email.status) {
    sentEmails.set(email.id, email.status);
    if (FINAL_EMAIL_STATUSES.has(email.status)) {
      const status = emailStatusLabel(email.status).toLowerCase();
      showToast(`Email to ${email.to_email}: ${status}.`);
    }
  }
}

// hooks.onSent(email): an email this dialog sent, as Hatch stored it.
export function setupComposeEmail({ onSent } = {}) {
  if (onSent) {
    hooks.onSent = onSent;
  }
  setupFormDialog({ dialog: ui.dialog, button: ui.button, form: ui.form, onSubmit: sendEmail });
  // The header's button composes a new email: nothing of a reply stays in the form.
  ui.button.addEventListener("click", () => prefill("new"));
  ui.attach.addEventListener("click", () => byId("compose-files").click());
}
