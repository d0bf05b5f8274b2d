// The New broadcast form: its name, SMS or email (a subject for email), the text with its
// variables and, for SMS, a segment counter that counts the footer each SMS ends with; the
// recipients (labels and typed numbers or addresses, or a CSV file); and Send later (the
// composers' Schedule control). Preview asks the API what it would send
// (broadcast-preview.js); "Send to N people" then sends exactly that, with an
// Idempotency-Key, so that a retry after a lost answer makes one broadcast.

import { getJSON, postJSON } from "./api.js";
import { BODY_MAX_LENGTH, SMS_FOOTER, byId, showMessage, urls } from "./broadcast-page.js";
import { hidePreview, previewRecipients, previewUi, showPreview } from "./broadcast-preview.js";
import { peopleWords, plural } from "./broadcast-words.js";
import {
  clearErrors,
  clearErrorsOnInput,
  formSendKey,
  personalError,
  setBusy,
  tooLongSentence,
} from "./forms.js";
import { h } from "./render.js";
import { schedulePicker } from "./schedule-picker.js";
import { whenText } from "./schedule.js";
import { characterCount, countSegments } from "./segments.js";

const form = byId("broadcast-form");
const ui = {
  heading: byId("compose-heading"),
  name: byId("broadcast-name"),
  subjectField: byId("broadcast-subject-field"),
  subject: byId("broadcast-subject"),
  body: byId("broadcast-body"),
  counter: byId("broadcast-counter"),
  listPart: byId("recipients-list"),
  filePart: byId("recipients-file"),
  labels: byId("label-options"),
  labelsStatus: byId("label-options-status"),
  addresses: byId("broadcast-addresses"),
  addressesLabel: byId("broadcast-addresses-label"),
  file: byId("broadcast-file"),
  fileColumn: byId("file-column"),
  general: byId("broadcast-form-error"),
};

// The time to send at, if one was chosen. Another time is another broadcast: the preview
// and the Idempotency-Key go with the old one.
const schedule = schedulePicker({
  prefix: "broadcast",
  submit: byId("preview-button"),
  words: { now: "Preview", later: "Preview" },
  onChange: () => formChanged(),
});

const channel = () => form.elements.namedItem("channel").value;
const source = () => form.elements.namedItem("source").value;

// ------------------------------------------------------------------ what the form shows

function updateCounter() {
  const sms = channel() === "sms";
  ui.counter.hidden = !sms;
  if (!sms) {
    return;
  }
  const text = SMS_FOOTER ? `${ui.body.value.trimEnd()}\n${SMS_FOOTER}` : ui.body.value;
  const { encoding, units, segments, capacity } = countSegments(text);
  const characters = characterCount(text);
  const footer = SMS_FOOTER ? ", footer included" : "";
  ui.counter.textContent =
    characters > BODY_MAX_LENGTH
      ? `${characters}/${BODY_MAX_LENGTH} characters${footer}: too long for an SMS`
      : `${units}/${capacity} · ${plural(segments, "segment", "segments")}` +
        `${encoding === "UCS-2" ? " · Unicode" : ""}${footer}. Names change the length: ` +
        "the preview counts each person’s.";
  ui.counter.classList.toggle("is-over", characters > BODY_MAX_LENGTH);
  ui.counter.classList.toggle("is-multipart", segments > 1);
}

function updateChannel() {
  const email = channel() === "email";
  form.dataset.channel = channel();
  ui.subjectField.hidden = !email;
  ui.addressesLabel.textContent = email ? "Email addresses" : "Phone numbers";
  ui.fileColumn.textContent = email ? "email" : "phone";
  updateCounter();
}

function updateSource() {
  const file = source() === "file";
  ui.listPart.hidden = file;
  ui.filePart.hidden = !file;
}

async function loadLabels() {
  try {
    const labels = await getJSON(urls.labels);
    ui.labels.replaceChildren(
      ...labels.map((label) =>
        h(
          "label",
          { className: "choice" },
          h("input", { type: "checkbox", name: "labels", value: label.name }),
          ` ${label.name}`,
        ),
      ),
    );
    ui.labelsStatus.textContent = labels.length
      ? ""
      : "No labels yet: admins make them on the Team page.";
  } catch (error) {
    ui.labelsStatus.textContent = error.message;
  }
}

function insertVariable(name) {
  const { selectionStart, selectionEnd } = ui.body;
  ui.body.setRangeText(`{{${name}}}`, selectionStart, selectionEnd, "end");
  ui.body.focus();
  ui.body.dispatchEvent(new Event("input", { bubbles: true }));
}

// ------------------------------------------------------------------ the request

// "+1 415 555 0101, +1 415 555 0102" or one a line: a number holds no comma.
const listed = (text) =>
  text
    .split(/[\n,;]+/)
    .map((item) => item.trim())
    .filter(Boolean);

// The broadcast as the API takes it: JSON, or a multipart form with the CSV file. Null
// (with the reason shown) when the form cannot be sent as it is.
function buildRequest() {
  const fields = { name: ui.name.value, channel: channel(), body: ui.body.value };
  if (fields.channel === "email") {
    fields.subject = ui.subject.value;
  }
  Object.assign(fields, schedule.payload());
  if (source() === "file") {
    const [file] = ui.file.files;
    if (!file) {
      placeErrors({ message: "", fields: { file: ["Choose the CSV file of recipients."] } });
      return null;
    }
    const body = new FormData();
    for (const [name, value] of Object.entries(fields)) {
      body.append(name, value);
    }
    body.append("file", file);
    return { body, multipart: true };
  }
  const labels = [...form.querySelectorAll("input[name=labels]:checked")].map(
    (box) => box.value,
  );
  const addresses = listed(ui.addresses.value);
  fields.recipients = { labels, [fields.channel === "sms" ? "numbers" : "emails"]: addresses };
  return { body: fields, multipart: false };
}

// ------------------------------------------------------------------ errors in words

// Where each field's message goes: [its message's element, the control it is about].
const PLACES = {
  name: ["broadcast-name-error", ui.name],
  channel: ["broadcast-channel-error", null],
  subject: ["broadcast-subject-error", ui.subject],
  body: ["broadcast-body-error", ui.body],
  labels: ["broadcast-labels-error", null],
  numbers: ["broadcast-addresses-error", ui.addresses],
  emails: ["broadcast-addresses-error", ui.addresses],
  file: ["broadcast-file-error", ui.file],
  contacts: ["broadcast-recipients-error", null],
  recipients: ["broadcast-recipients-error", null],
};
// DRF's words for a missing field, and what this form says instead.
const MISSING = /This field (is required|may not be blank|may not be null)/;
const WHAT_IS_MISSING = {
  name: "Give the broadcast a name, e.g. “December opening hours”.",
  channel: "Choose SMS or email.",
  subject: "An email broadcast needs a subject.",
  body: "Write the text the broadcast sends.",
  file: "Choose the CSV file of recipients.",
};
const WORDS = { name: "name", subject: "subject", body: "text" };

function inWords(field, text) {
  if (MISSING.test(text) && WHAT_IS_MISSING[field]) {
    return WHAT_IS_MISSING[field];
  }
  const limit = /no more than (\d+) characters/.exec(text);
  if (limit && WORDS[field]) {
    return tooLongSentence(WORDS[field], limit[1]);
  }
  if (/not a file|No file was submitted/.test(text)) {
    return WHAT_IS_MISSING.file;
  }
  // The API's own sentences are written for people; personalError rewords what names a
  // field ('send_at') or is DRF's.
  return personalError({ message: text, fields: {} }).message;
}

// Each field's message under its field; the rest (and the API's sentence when nothing
// could be placed) in the banner above the form.
function placeErrors(error) {
  clearErrors(form);
  const unplaced = [];
  let first = null;
  for (const [field, messages] of Object.entries(error.fields ?? {})) {
    const sentences = messages.map((text) => inWords(field, text));
    const [target, control] = PLACES[field] ?? [];
    if (!target) {
      unplaced.push(...sentences);
      continue;
    }
    showMessage(byId(target), sentences.join(" "));
    control?.setAttribute("aria-invalid", "true");
    first ??= control ?? byId(target).closest("fieldset")?.querySelector("input");
  }
  if (!Object.keys(error.fields ?? {}).length && error.message) {
    unplaced.push(inWords(null, error.message));
  }
  showMessage(ui.general, unplaced.join(" "));
  (unplaced.length ? ui.general : first)?.scrollIntoView?.({ block: "nearest" });
  first?.focus();
}

// ------------------------------------------------------------------ preview, then send

// Whatever changes, the preview (and the send it promised) is old news.
function formChanged() {
  hidePreview();
  delete form.dataset.sendKey;
}

async function preview(event) {
  event.preventDefault();
  clearErrors(form);
  hidePreview();
  const problem = schedule.problem();
  if (problem) {
    showMessage(ui.general, problem);
    return;
  }
  const request = buildRequest();
  if (!request) {
    return;
  }
  setBusy(form, true);
  try {
    const answer = await postJSON(urls.preview, request.body);
    showPreview(answer, { channel: channel(), sendAt: schedule.sendAt });
  } catch (error) {
    placeErrors(error);
  } finally {
    setBusy(form, false);
  }
}

function reset() {
  form.reset();
  schedule.clear();
  delete form.dataset.sendKey;
  clearErrors(form);
  hidePreview();
  updateChannel();
  updateSource();
}

async function send(onSent) {
  const request = buildRequest();
  if (!request || !previewRecipients()) {
    return;
  }
  const people = peopleWords(previewRecipients());
  const sendAt = schedule.sendAt;
  showMessage(previewUi.error, "");
  previewUi.send.disabled = true;
  try {
    // The same key for the same form until it changes (formChanged), a CSV's included.
    const idempotencyKey = formSendKey(form);
    const broadcast = await postJSON(urls.broadcasts, request.body, { idempotencyKey });
    reset();
    const when = sendAt ? `goes to ${people} ${whenText(sendAt)}` : `is on its way to ${people}`;
    onSent(broadcast, `“${broadcast.name}” ${when}.`);
  } catch (error) {
    if (Object.keys(error.fields ?? {}).length) {
      hidePreview();
      placeErrors(error);
    } else {
      showMessage(previewUi.error, inWords(null, error.message));
    }
  } finally {
    previewUi.send.disabled = false;
  }
}

export function focusCompose() {
  ui.heading.focus();
}

// `onSent(broadcast, sentence)`: a broadcast was created.
export function setupCompose({ onSent }) {
  form.addEventListener("submit", preview);
  form.addEventListener("input", clearErrorsOnInput);
  form.addEventListener("input", formChanged);
  form.addEventListener("change", (event) => {
    if (event.target.name === "channel") {
      updateChannel();
    } else if (event.target.name === "source") {
      updateSource();
    }
  });
  ui.body.addEventListener("input", updateCounter);
  for (const button of form.querySelectorAll("[data-variable]")) {
    button.addEventListener("click", () => insertVariable(button.dataset.variable));
  }
  previewUi.edit.addEventListener("click", () => {
    hidePreview();
    ui.name.focus();
  });
  previewUi.send.addEventListener("click", () => send(onSent));
  updateChannel();
  updateSource();
  return loadLabels();
}
