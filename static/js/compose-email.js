// The compose-email dialog, and what the sender hears afterwards: Hatch accepting an email
// is not its delivery, so the outcome is announced when a pushed update brings it.

import { postJSON } from "./api.js";
import { upsertEmail } from "./emails.js";
import { setupFormDialog, submitDialogForm } from "./forms.js";
import { byId, showToast, urls } from "./page.js";
import { emailStatusLabel } from "./render-email.js";

const FINAL_EMAIL_STATUSES = new Set(["delivered", "bounced", "dropped", "failed"]);

const ui = {
  button: byId("compose-email-button"),
  dialog: byId("compose-email-dialog"),
  form: byId("compose-email-form"),
};
const sentEmails = new Map(); // id -> status, of the emails sent from this page

function addressList(text) {
  return text
    .split(/[,;]/)
    .map((part) => part.trim())
    .filter(Boolean);
}

async function sendEmail(event) {
  event.preventDefault();
  const form = ui.form;
  const value = (name) => form.elements.namedItem(name).value;
  const payload = {
    to_email: value("to_email").trim(),
    subject: value("subject"),
    body: value("body"),
  };
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
  await submitDialogForm({
    dialog: ui.dialog,
    form,
    send: (idempotencyKey) => postJSON(urls.sendEmail, payload, { idempotencyKey }),
    onSent: (result) => {
      // Accepted is not delivered: say "queued", and say the outcome when it is known.
      showToast(`Email to ${result.email?.to_email ?? payload.to_email} is ${result.status}.`);
      if (result.email) {
        sentEmails.set(result.email.id, result.email.status);
        upsertEmail(result.email);
      }
    },
    onClosedFailure: (error) => showToast(`Email not sent: ${error.message}`),
  });
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

export function setupComposeEmail() {
  setupFormDialog({ dialog: ui.dialog, button: ui.button, form: ui.form, onSubmit: sendEmail });
}
