// How the contact panel draws a contact: its numbers and addresses (primary first) with
// the consent of each and its history, and the items of its timeline. API records in, DOM
// nodes out, as the other render-* modules.

import { channelLabel, displayContact, h, listTime, timeElement } from "./render.js";

// consent.models.SuppressionReason, for the history (the current reason comes in words).
const REASON_WORDS = {
  stop: "replied STOP",
  carrier_opt_out: "opted out with their carrier",
  bounce: "bounced",
  dropped: "was dropped by the email provider",
  spamreport: "reported your email as spam",
  unsubscribe: "unsubscribed",
  group_unsubscribe: "unsubscribed from an email group",
};

function capitalised(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

// A date as 2026-12-01, in the reader's time zone.
export function isoDay(iso) {
  const date = new Date(iso);
  const pad = (number) => String(number).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function historyLine(change) {
  const reason = REASON_WORDS[change.reason] ?? change.reason ?? "";
  const what =
    change.action === "lifted"
      ? `Allowed again${change.by ? ` by ${change.by}` : ""}`
      : capitalised(reason) || "Suppressed";
  return h(
    "li",
    {},
    timeElement(change.at, isoDay(change.at)),
    " ",
    what,
    change.note ? h("span", { className: "muted" }, ` (${change.note})`) : null,
  );
}

// "Replied STOP on 2026-12-01", with the history behind a disclosure.
function consentNote(consent) {
  if (!consent) {
    return null;
  }
  const history = Array.isArray(consent.history) ? consent.history : [];
  const suppressed = consent.status === "suppressed";
  const summary = suppressed
    ? `${capitalised(consent.reason_text ?? "opted out")}${
        consent.since ? ` on ${isoDay(consent.since)}` : ""
      }`
    : "";
  return h(
    "div",
    { className: `consent${suppressed ? " is-suppressed" : ""}` },
    suppressed
      ? h(
          "p",
          { className: "consent-status" },
          h("span", { className: "badge badge-failed" }, "Do not message"),
          " ",
          summary,
          consent.detail ? h("span", { className: "muted" }, ` (${consent.detail})`) : null,
        )
      : null,
    history.length
      ? h(
          "details",
          { className: "consent-history" },
          h("summary", {}, "Consent history"),
          h("ol", {}, history.map(historyLine)),
        )
      : null,
  );
}

export function pointItem(point, consent) {
  return h(
    "li",
    { className: "contact-point", "data-value": point.value },
    h(
      "p",
      { className: "contact-point-value" },
      h("span", {}, displayContact(point.value)),
      point.primary ? h("span", { className: "badge" }, "Primary") : null,
    ),
    consentNote(consent),
  );
}

const DIRECTION_WORDS = { inbound: "from", outbound: "to" };

// One thing said with the contact; a link to the conversation or thread it belongs to.
export function timelineItem(item) {
  const email = item.channel === "email";
  const target = email ? item.thread_id : item.conversation_id;
  const href = !target
    ? null
    : email
      ? `?view=emails&t=${encodeURIComponent(target)}`
      : `?c=${encodeURIComponent(target)}`;
  const party = item.direction === "inbound" ? item.from : item.to;
  const partyText = `${DIRECTION_WORDS[item.direction] ?? ""} ${displayContact(party ?? "")}`;
  const content = [
    h(
      "span",
      { className: "timeline-top" },
      h("span", { className: `badge badge-${item.channel}` }, channelLabel(item.channel)),
      h("span", { className: "timeline-party" }, partyText.trim()),
      timeElement(item.created_at, listTime(item.created_at)),
    ),
    email && item.subject ? h("span", { className: "timeline-subject" }, item.subject) : null,
    h("span", { className: "timeline-body" }, item.body),
  ];
  return h(
    "li",
    { "data-direction": item.direction },
    href
      ? h(
          "a",
          {
            className: "timeline-item",
            href,
            "data-channel": item.channel,
            "data-target": target,
            title: `${channelLabel(item.channel)} ${partyText.trim()}`,
          },
          content,
        )
      : h("span", { className: "timeline-item" }, content),
  );
}
