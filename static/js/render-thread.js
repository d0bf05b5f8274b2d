// How the thread draws messages: bubbles, attachments, delivery status, the reasons for a
// failure (the provider's words, then Hatch's explanation of its code: render-failure.js)
// and the Retry and Discard buttons, with a separator before each new day. A
// message scheduled to go later is outlined, says when it goes, and has Edit and Cancel
// (render-schedule.js); a canceled one is muted.

import { attachmentList } from "./attachments.js";
import { clockTime, dayLabel, displayContact, h, startOfDay, timeElement } from "./render.js";
import { failureReason } from "./render-failure.js";
import {
  scheduleActions,
  scheduleEditor,
  scheduleLine,
  scheduleRefusal,
} from "./render-schedule.js";
import { teamEntry } from "./render-team.js";
import { FAILED_STATUSES } from "./state.js";
import { isMe } from "./team-data.js";

const STATUS_LABELS = {
  scheduled: "Scheduled",
  queued: "Queued",
  sending: "Sending",
  sent: "Sent",
  delivered: "Delivered",
  undelivered: "Undelivered",
  failed: "Failed",
  canceled: "Canceled",
  // The page's own: a reply on its way to Hatch, and one Hatch refused or never received.
  pending: "Pending",
  error: "Not sent",
};

export function statusLabel(status) {
  return STATUS_LABELS[status] ?? status;
}

// Why the provider could not deliver a message, in words under its bubble: a reason only
// on hover would be lost to touch, to keyboards and to anyone who does not think to look.
function errorText(message) {
  if (!message.error_message && !message.error_code) {
    return FAILED_STATUSES.has(message.status) ? "Not delivered." : "";
  }
  const reason = message.error_message || "the carrier gave no reason";
  const code = message.error_code ? ` (error ${message.error_code})` : "";
  return `Not delivered: ${reason}${code}`;
}

export function statusMark(message, errorId = null) {
  const label = statusLabel(message.status);
  const failed = FAILED_STATUSES.has(message.status);
  return h(
    "span",
    {
      className: `status-mark status-${message.status}`,
      title: errorText(message) || label,
      "aria-describedby": failed ? errorId : null,
    },
    label,
  );
}

function mediaKind(contentType) {
  const [kind, subtype = ""] = contentType.split("/");
  if (kind === "video") {
    return "Video";
  }
  if (kind === "audio") {
    return "Audio";
  }
  if (subtype === "pdf") {
    return "PDF";
  }
  if (kind === "image") {
    return "Image";
  }
  return "File";
}

// An inbound MMS's media are shown from Hatch's copies (`attachments`, /files/...) once
// the worker has downloaded them. Twilio's own URLs (`media`) need its credentials and are
// never drawn or linked: until the copies are in, and for any that could not be
// downloaded (`media_status` "failed"), each missing item shows what it is, in words.
function missingMedia(message) {
  const media = Array.isArray(message.media) ? message.media : [];
  const stored = Array.isArray(message.attachments) ? message.attachments.length : 0;
  const missing = media.slice(stored);
  if (!missing.length) {
    return null;
  }
  const downloading = message.media_status === "pending";
  return h(
    "ul",
    {
      className: "media",
      "aria-label": missing.length === 1 ? "Attachment" : `${missing.length} attachments`,
    },
    missing.map((item) => {
      const contentType = typeof item?.content_type === "string" ? item.content_type : "";
      const kind = mediaKind(contentType);
      return h(
        "li",
        {},
        downloading
          ? h("span", { className: "media-missing media-downloading" }, `${kind}: downloading…`)
          : h("span", { className: "media-missing" }, `${kind} unavailable`),
      );
    }),
  );
}

// An inbound MMS without text is stored with this body; its media says it all.
const MEDIA_PLACEHOLDER = "(media message)";

// `message` is an API record, or the page's own record of a reply being sent (status
// "pending" or "error", `error` the reason); `note` is the reason a retry was refused,
// `failure` the explanation of its error code (failure-reasons.js), and `schedule` what
// scheduled-edits.js shows of a scheduled one (its form open, a refusal), the form's values
// coming from `editValues`.
export function messageItem(message, editValues = null) {
  // Every message of an internal conversation is outbound (teammates wrote them all): each
  // sits on its writer's side, the signed-in person's on the right, a teammate's on the left.
  const theirs = message.type === "internal" && message.sent_by && !isMe(message.sent_by);
  const outbound = message.direction !== "inbound" && !theirs;
  const status = message.status;
  const providerFailed = FAILED_STATUSES.has(status);
  const notSent = status === "error";
  const errorId = `message-error-${message.id}`;
  const error = notSent ? message.error : providerFailed ? errorText(message) : "";
  const failure = providerFailed ? (message.failure ?? null) : null;
  const failureId = `message-failure-${message.id}`;
  // What Retry is about, for whoever reaches it by keyboard: the reason, and what to do.
  const describedBy = [error ? errorId : null, failure ? failureId : null].filter(Boolean);
  const canRetry = notSent || (outbound && status === "failed" && message.type === "sms");
  // Files Hatch stored (sent, or downloaded from the provider) are shown from Hatch;
  // media still downloading, or lost, as placeholders (missingMedia).
  const stored = Array.isArray(message.attachments) && message.attachments.length > 0;
  const media = missingMedia(message);
  const hideBody =
    !message.body || (message.body === MEDIA_PLACEHOLDER && (stored || media !== null));
  const classes = [
    "message",
    outbound ? "message-outbound" : "message-inbound",
    providerFailed || notSent ? "message-failed" : "",
    status === "pending" ? "message-pending" : "",
    status === "scheduled" ? "message-scheduled" : "",
    status === "canceled" ? "message-canceled" : "",
  ];
  const editing = Boolean(message.schedule?.editing && editValues);
  return h(
    "li",
    {
      className: classes.filter(Boolean).join(" "),
      "data-message-id": message.id,
      "data-status": status,
      "data-direction": message.direction === "inbound" ? "inbound" : "outbound",
    },
    editing
      ? scheduleEditor(message, {
          view: message.schedule,
          values: editValues,
          noun: "message",
          fields: ["body"],
        })
      : hideBody
        ? null
        : h("div", { className: "bubble" }, message.body),
    stored ? attachmentList(message.attachments) : null,
    media,
    h(
      "div",
      { className: "message-meta" },
      // A reply names the teammate who wrote it; otherwise the number or name it came from.
      h(
        "span",
        { className: "message-sender" },
        message.direction !== "inbound" && message.sent_by?.name
          ? message.sent_by.name
          : displayContact(message.from_contact),
      ),
      timeElement(message.timestamp, clockTime(message.timestamp)),
      outbound ? statusMark(message, error ? errorId : null) : null,
    ),
    error
      ? h(
          "p",
          { className: "message-error", id: errorId },
          error,
        )
      : null,
    failureReason(failure, { id: failureId }),
    message.note ? h("p", { className: "message-error" }, message.note) : null,
    scheduleLine(message),
    scheduleRefusal(message.schedule),
    outbound ? scheduleActions(message, message.schedule, "message") : null,
    canRetry || notSent
      ? h(
          "div",
          { className: "message-actions" },
          canRetry
            ? h(
                "button",
                {
                  type: "button",
                  className: "button button-small",
                  "data-action": "retry",
                  "aria-describedby": describedBy.length ? describedBy.join(" ") : null,
                  disabled: Boolean(message.retrying),
                },
                "Retry",
              )
            : null,
          notSent
            ? h(
                "button",
                {
                  type: "button",
                  className: "button button-small button-quiet",
                  "data-action": "discard",
                },
                "Discard",
              )
            : null,
        )
      : null,
  );
}

export function daySeparator(label) {
  return h("li", { className: "day-separator" }, h("span", {}, label));
}

// A thread's entries for reconcile(), in order, with a separator before each new day.
// `editValues(id)`: what a scheduled message's open form holds (scheduled-edits.js).
export function threadEntries(messages, { now = new Date(), editValues = () => null } = {}) {
  const entries = [];
  const days = new Set();
  let lastDay = null;
  for (const message of messages) {
    const day = startOfDay(new Date(message.timestamp)).getTime();
    if (day !== lastDay) {
      const label = dayLabel(message.timestamp, now);
      // A reply being sent carries this browser's clock, which may disagree with the
      // server's around midnight: a day can then come twice, and keys must stay unique.
      let key = `day-${day}`;
      while (days.has(key)) {
        key += "+";
      }
      days.add(key);
      entries.push({ key, signature: label, build: () => daySeparator(label) });
      lastDay = day;
    }
    // Notes and activity lines (thread-extras.js) come among the messages.
    entries.push(
      message.kind
        ? teamEntry(message, { isMine: isMe })
        : {
            key: `message-${message.id}`,
            signature: JSON.stringify(message),
            build: () => messageItem(message, editValues(message.id)),
          },
    );
  }
  return entries;
}
