// How the Emails view draws: a thread in the list (who, subject, preview, time, unread
// count), and one email of an open thread (who wrote to whom, its HTML in a sandboxed
// frame or its text, attachments, delivery status and events, Reply, Reply all, Forward;
// or, while it waits to be sent, when it goes with Edit and Cancel: render-schedule.js; once
// bounced, dropped or failed, why in words: render-failure.js).

import { attachmentList } from "./attachments.js";
import { emailFrame } from "./email-frame.js";
import { failureReason } from "./render-failure.js";
import { avatar } from "./render-list.js";
import { fullTime, h, listTime, partyLabel, timeElement } from "./render.js";
import {
  isScheduled,
  scheduleActions,
  scheduleEditor,
  scheduleLine,
  scheduleRefusal,
} from "./render-schedule.js";
import { teamMarks } from "./render-team.js";

const EMAIL_STATUS_LABELS = {
  scheduled: "Scheduled",
  queued: "Queued",
  sending: "Sending",
  sent: "Sent",
  delivered: "Delivered",
  bounced: "Bounced",
  dropped: "Dropped",
  failed: "Failed",
  canceled: "Canceled",
  received: "Received",
};

export function emailStatusLabel(status) {
  return EMAIL_STATUS_LABELS[status] ?? status;
}

export function emailStatusBadge(status) {
  const className = `badge email-status email-status-${status}`;
  return h("span", { className }, emailStatusLabel(status));
}

export function threadParty(thread) {
  return partyLabel(thread.contact, thread.participants?.[0] ?? "");
}

function unreadBadge(count) {
  return [
    h("span", { className: "unread-badge", hidden: count === 0 }, String(count)),
    h(
      "span",
      { className: "visually-hidden", hidden: count === 0 },
      count === 1 ? " unread email" : " unread emails",
    ),
  ];
}

export function threadItem(thread, { selected = false } = {}) {
  const party = threadParty(thread);
  const unread = Math.max(0, Number(thread.unread_count) || 0);
  const count = Number(thread.message_count) || 0;
  return h(
    "li",
    {},
    h(
      "a",
      {
        className: `conversation email-item${unread ? " is-unread" : ""}`,
        href: `?view=emails&t=${encodeURIComponent(thread.id)}`,
        "data-thread-id": thread.id,
        "aria-current": selected ? "true" : null,
      },
      avatar(thread.participants?.[0] ?? "", party.detail ? party.title : ""),
      h(
        "span",
        { className: "conversation-main" },
        h(
          "span",
          { className: "conversation-top" },
          h("span", { className: "conversation-name" }, party.title),
          count > 1 ? h("span", { className: "thread-count", title: `${count} emails` }, String(count)) : null,
          timeElement(thread.last_message_at, listTime(thread.last_message_at)),
        ),
        party.detail ? h("span", { className: "conversation-number" }, party.detail) : null,
        h("span", { className: "email-subject" }, thread.subject || "(no subject)"),
        h(
          "span",
          { className: "conversation-bottom" },
          h("span", { className: "conversation-preview" }, thread.preview),
          unreadBadge(unread),
        ),
        teamMarks(thread),
      ),
    ),
  );
}

function sender(email) {
  const name = email.from_name?.trim();
  return name ? `${name} <${email.from_email}>` : email.from_email;
}

function fieldRow(label, value) {
  if (!value || (Array.isArray(value) && !value.length)) {
    return null;
  }
  return [h("dt", {}, label), h("dd", {}, Array.isArray(value) ? value.join(", ") : value)];
}

function deliveryEvents(email) {
  const events = Array.isArray(email.events) ? email.events : null;
  return h(
    "details",
    { className: "email-delivery", "data-delivery-of": email.id, open: email.eventsOpen || null },
    h("summary", {}, "Delivery details"),
    h(
      "dl",
      { className: "email-fields" },
      fieldRow("Status", emailStatusLabel(email.status)),
      fieldRow("Error", email.error_message),
      fieldRow("Bcc", email.bcc),
      fieldRow("Reply-To", email.reply_to),
      fieldRow("Queued", fullTime(email.timestamp)),
      fieldRow("Sent", fullTime(email.sent_at)),
      fieldRow("Delivered", fullTime(email.delivered_at)),
    ),
    events === null
      ? h("p", { className: "muted" }, "Loading events…")
      : events.length
        ? h(
            "ol",
            { className: "email-events", "aria-label": "Delivery events" },
            events.map((event) =>
              h(
                "li",
                { className: "email-event", "data-event": event.event },
                h("span", { className: "email-event-name" }, event.event),
                h("span", { className: "email-event-recipient" }, event.recipient),
                fullTime(event.occurred_at),
              ),
            ),
          )
        : h("p", { className: "muted" }, "No events from the provider yet."),
  );
}

function imagesBar(count) {
  return h(
    "div",
    { className: "images-bar", role: "note" },
    h(
      "span",
      {},
      `${count} remote ${count === 1 ? "image" : "images"} blocked, so the sender cannot tell ` +
        "when this email was read.",
    ),
    h(
      "button",
      { type: "button", className: "button button-small", "data-action": "show-images" },
      "Show images",
    ),
  );
}

function emailBody(email) {
  if (email.html_content_safe) {
    return [
      email.remote_images_blocked > 0 ? imagesBar(email.remote_images_blocked) : null,
      emailFrame(email.html_content_safe, { title: `Email: ${email.subject || "(no subject)"}` }),
    ];
  }
  return h("pre", { className: "email-body" }, email.body || "(no text)");
}

function actionButton(action, label) {
  return h("button", { type: "button", className: "button button-small", "data-action": action }, label);
}

// One email of the open thread. `email` is a ThreadEmail from the API, with `events` once
// its delivery events were fetched, `failure` the explanation of its error code
// (failure-reasons.js) and `schedule` what scheduled-edits.js shows of a scheduled one;
// `editValues` what its open form holds.
export function threadEmail(email, editValues = null) {
  const inbound = email.direction === "inbound";
  const scheduled = isScheduled(email);
  const editing = Boolean(email.schedule?.editing && editValues);
  const classes = [
    "thread-email",
    inbound ? "is-inbound" : "is-outbound",
    scheduled ? "is-scheduled" : "",
    email.status === "canceled" ? "is-canceled" : "",
  ];
  // Inline (cid:) images already show in the HTML.
  const files = (email.attachments ?? []).filter(
    (file) => !(file.content_id && email.html_content_safe),
  );
  return h(
    "li",
    {
      className: classes.filter(Boolean).join(" "),
      "data-email-id": email.id,
      "data-status": email.status,
      "data-direction": email.direction,
    },
    h(
      "article",
      { "aria-label": `Email from ${email.from_name || email.from_email}` },
      h(
        "header",
        { className: "thread-email-header" },
        h(
          "p",
          { className: "thread-email-from" },
          h("strong", {}, sender(email)),
          timeElement(email.timestamp, listTime(email.timestamp)),
        ),
        h(
          "dl",
          { className: "email-fields email-recipients" },
          fieldRow("To", email.to_email),
          fieldRow("Cc", email.cc),
          email.subject ? fieldRow("Subject", email.subject) : null,
        ),
        inbound ? null : emailStatusBadge(email.status),
        // Which teammate sent it (its From is the team's address).
        !inbound && email.sent_by?.name
          ? h("p", { className: "email-sent-by muted" }, `Sent by ${email.sent_by.name}`)
          : null,
      ),
      inbound ? null : failureReason(email.failure, { id: `email-failure-${email.id}` }),
      scheduleLine(email),
      editing
        ? scheduleEditor(email, {
            view: email.schedule,
            values: editValues,
            noun: "email",
            fields: ["subject", "body"],
          })
        : h("div", { className: "thread-email-body" }, emailBody(email)),
      attachmentList(files),
      scheduleRefusal(email.schedule),
      // One that has not gone yet is changed or canceled, not answered.
      scheduled
        ? scheduleActions(email, email.schedule, "email")
        : h(
            "footer",
            { className: "thread-email-actions" },
            actionButton("reply", "Reply"),
            actionButton("reply-all", "Reply all"),
            actionButton("forward", "Forward"),
          ),
      inbound ? null : deliveryEvents(email),
    ),
  );
}
