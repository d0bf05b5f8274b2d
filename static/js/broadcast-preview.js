// The preview a broadcast gets before it is sent: how many people it goes to, who is skipped
// and why ("1 opted out, 1 invalid, 1 listed twice"), the first recipient's own text with
// the names filled in (and the SMS footer), its segments, how long the pacing takes and
// the API's warning; then "Send to N people". What the form holds is sent only as
// previewed: a change hides the preview (broadcast-compose.js).

import { byId, showMessage } from "./broadcast-page.js";
import { peopleWords, plural, skippedWords, timingWords } from "./broadcast-words.js";
import { displayContact } from "./render.js";
import { whenText } from "./schedule.js";

const ui = {
  section: byId("broadcast-preview"),
  count: byId("preview-count"),
  when: byId("preview-when"),
  skipped: byId("preview-skipped"),
  sample: byId("preview-sample"),
  caption: byId("preview-sample-caption"),
  subject: byId("preview-subject"),
  body: byId("preview-body"),
  segments: byId("preview-segments"),
  timing: byId("preview-timing"),
  warning: byId("preview-warning"),
  error: byId("preview-error"),
  edit: byId("preview-edit"),
  send: byId("send-button"),
};

export const previewUi = ui;

let recipients = 0;

export function previewRecipients() {
  return recipients;
}

// `preview` as the API answers it; `sendAt` the time chosen (a Date) or null.
export function showPreview(preview, { channel, sendAt }) {
  recipients = preview.recipients;
  ui.count.textContent = recipients ? peopleWords(recipients) : "nobody";
  ui.when.textContent = sendAt ? `, from ${whenText(sendAt)}` : "";
  const skipped = skippedWords(preview.skipped);
  ui.skipped.textContent = skipped ? `Skipped: ${skipped}.` : "Nobody listed is skipped.";

  const { sample } = preview;
  ui.sample.hidden = !recipients;
  ui.caption.textContent = `What the first of them, ${displayContact(sample.address)}, gets:`;
  showMessage(ui.subject, channel === "email" ? `Subject: ${sample.subject}` : "");
  ui.body.textContent = sample.body;

  showMessage(
    ui.segments,
    channel === "sms" && recipients
      ? `This text is ${plural(preview.segments, "segment", "segments")}; ` +
          `${plural(preview.total_segments, "segment", "segments")} in all.`
      : "",
  );
  ui.timing.textContent = recipients ? timingWords(preview.expected_seconds, sendAt) : "";
  showMessage(ui.warning, preview.warning);

  showMessage(ui.error, recipients ? "" : "Nobody to send to: everyone listed is skipped.");
  ui.send.textContent = recipients ? `Send to ${peopleWords(recipients)}` : "Send";
  ui.send.disabled = !recipients;
  ui.section.hidden = false;
  ui.section.focus();
}

export function hidePreview() {
  recipients = 0;
  ui.section.hidden = true;
  showMessage(ui.error, "");
}

export const previewShown = () => !ui.section.hidden;
