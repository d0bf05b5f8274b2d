// How the Emails view draws emails: an item of its list, and one email's details with the
// provider's delivery events.

import { fullTime, h, listTime, timeElement } from "./render.js";

const EMAIL_STATUS_LABELS = {
  queued: "Queued",
  sending: "Sending",
  sent: "Sent",
  delivered: "Delivered",
  bounced: "Bounced",
  dropped: "Dropped",
  failed: "Failed",
};

export function emailStatusLabel(status) {
  return EMAIL_STATUS_LABELS[status] ?? status;
}

export function emailStatusBadge(status) {
  const className = `badge email-status email-status-${status}`;
  return h("span", { className }, emailStatusLabel(status));
}

export function emailItem(email, { selected = false } = {}) {
  return h(
    "li",
    {},
    h(
      "a",
      {
        className: "email-item",
        href: `?view=emails&e=${encodeURIComponent(email.id)}`,
        "data-email-id": email.id,
        "data-status": email.status,
        "aria-current": selected ? "true" : null,
      },
      h(
        "span",
        { className: "conversation-top" },
        h("span", { className: "conversation-name" }, email.to_email),
        timeElement(email.timestamp, listTime(email.timestamp)),
      ),
      h(
        "span",
        { className: "conversation-bottom" },
        h("span", { className: "conversation-preview" }, email.subject),
        emailStatusBadge(email.status),
      ),
    ),
  );
}

function detailRow(label, value) {
  const empty = value === null || value === undefined || value === "";
  if (empty || (Array.isArray(value) && !value.length)) {
    return null;
  }
  return [h("dt", {}, label), h("dd", {}, value)];
}

// The HTML part is shown as its source, never rendered: it is user content.
export function emailDetail(email) {
  const events = Array.isArray(email.events) ? email.events : null;
  return [
    h(
      "dl",
      { className: "email-fields" },
      detailRow("From", email.from_email),
      detailRow("To", email.to_email),
      detailRow("Cc", (email.cc ?? []).join(", ")),
      detailRow("Bcc", (email.bcc ?? []).join(", ")),
      detailRow("Reply-To", email.reply_to),
      detailRow("Status", emailStatusLabel(email.status)),
      detailRow("Error", email.error_message),
      detailRow("Queued", fullTime(email.timestamp)),
      detailRow("Sent", fullTime(email.sent_at)),
      detailRow("Delivered", fullTime(email.delivered_at)),
    ),
    h("h3", { className: "detail-heading" }, "Message"),
    h("pre", { className: "email-body" }, email.body || "(no text part)"),
    email.html_content
      ? h(
          "details",
          { className: "email-html" },
          h("summary", {}, "HTML part (source)"),
          h("pre", { className: "email-body code" }, email.html_content),
        )
      : null,
    h("h3", { className: "detail-heading" }, "Delivery events"),
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
  ];
}
