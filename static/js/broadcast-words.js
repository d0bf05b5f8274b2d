// How the Broadcasts page says what a broadcast does, in the words people use: its status,
// its counts ("2 sent, 1 skipped"), the skips of a preview ("1 opted out, 1 invalid"), how
// long its pacing takes. Records in, strings out: no DOM, no requests.

import { whenText } from "./schedule.js";

export function plural(count, one, many) {
  return `${Number(count).toLocaleString("en")} ${count === 1 ? one : many}`;
}

export const peopleWords = (count) => plural(count, "person", "people");

const CHANNELS = { sms: "SMS", email: "Email" };
export const channelWords = (channel) => CHANNELS[channel] ?? channel;

// The API's skip counts, in its order, by what people call them.
const SKIPS = [
  ["skipped_opted_out", "opted out"],
  ["skipped_invalid", "invalid"],
  ["skipped_duplicate", "listed twice"],
];

// "2 opted out, 1 invalid, 1 listed twice", or "" when nobody is skipped. `skipped` is a
// preview's skipped or a broadcast's counts.
export function skippedWords(skipped) {
  return SKIPS.filter(([key]) => skipped[key] > 0)
    .map(([key, words]) => `${Number(skipped[key]).toLocaleString("en")} ${words}`)
    .join(", ");
}

const skippedCount = (counts) => SKIPS.reduce((sum, [key]) => sum + (counts[key] ?? 0), 0);

// Waiting: still to go (being created, scheduled or queued). The API counts the ones
// being created (preparing) within scheduled.
const waitingCount = (counts) => counts.scheduled + counts.queued;

// Recipients whose part is over: their message went (or failed, or was canceled), or they
// were skipped. What the progress bar shows of the total.
export function handledCount(counts) {
  return counts.sent + counts.delivered + counts.failed + counts.canceled + skippedCount(counts);
}

// "2 sent, 1 delivered, 3 skipped": the non-zero counts, the list's one line.
export function countsWords(counts) {
  const parts = [
    [counts.sent, "sent"],
    [counts.delivered, "delivered"],
    [counts.failed, "failed"],
    [waitingCount(counts), "waiting"],
    [counts.canceled, "canceled"],
    [skippedCount(counts), "skipped"],
  ];
  const said = parts.filter(([count]) => count > 0).map(([count, words]) => `${count} ${words}`);
  return said.length ? said.join(", ") : "Nobody to send to";
}

// Every count, for the broadcast's details: [term, count, what it means].
export function countRows(counts) {
  return [
    ["Waiting to go", waitingCount(counts), "scheduled, or queued for the provider"],
    ["Sent", counts.sent, "handed to the provider, not yet reported delivered"],
    ["Delivered", counts.delivered, ""],
    ["Failed", counts.failed, "the provider could not deliver it"],
    ["Canceled", counts.canceled, ""],
    ["Skipped: opted out", counts.skipped_opted_out, "never sent"],
    ["Skipped: invalid", counts.skipped_invalid, "not a number or address Hatch can use"],
    ["Skipped: listed twice", counts.skipped_duplicate, "messaged once"],
  ];
}

export function progressWords(counts) {
  const handled = handledCount(counts).toLocaleString("en");
  return `${handled} of ${plural(counts.total, "recipient", "recipients")} handled`;
}

const STATUS = {
  preparing: "Preparing",
  sending: "Sending",
  paused: "Paused",
  done: "Done",
  canceled: "Canceled",
};

// A broadcast with a time to send at that has not come yet is "Scheduled", whether its
// messages are still being created or all wait for their time.
export function statusWords(broadcast, now = new Date()) {
  const later = broadcast.send_at ? new Date(broadcast.send_at) : null;
  if (later && later > now && ["preparing", "sending"].includes(broadcast.status)) {
    return `Scheduled for ${whenText(later, now)}`;
  }
  return STATUS[broadcast.status] ?? broadcast.status;
}

export function isScheduled(broadcast, now = new Date()) {
  return statusWords(broadcast, now).startsWith("Scheduled");
}

// "under a minute", "about 12 minutes", "about 3 h 20 min".
export function durationWords(seconds) {
  if (seconds < 60) {
    return "under a minute";
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) {
    return `about ${plural(minutes, "minute", "minutes")}`;
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return `about ${hours} h${rest ? ` ${rest} min` : ""}`;
}

// How long a preview's pacing takes, from `start` (the time chosen, or now).
export function timingWords(expectedSeconds, start, now = new Date()) {
  const from = start ? ` from ${whenText(start, now)}` : "";
  if (expectedSeconds === null || expectedSeconds === undefined) {
    return `They go out${from || " right away"}, as fast as the provider takes them.`;
  }
  if (expectedSeconds < 60) {
    return `Paced at the sending rate, they take under a minute${from}.`;
  }
  const finish = new Date((start ?? now).getTime() + expectedSeconds * 1000);
  return (
    `Paced at the sending rate, they take ${durationWords(expectedSeconds)}${from}: ` +
    `the last goes around ${whenText(finish, now)}.`
  );
}

export function finishWords(broadcast, now = new Date()) {
  if (!broadcast.expected_finish || !["preparing", "sending"].includes(broadcast.status)) {
    return "";
  }
  const finish = new Date(broadcast.expected_finish);
  return `The last message is expected to go around ${whenText(finish, now)}.`;
}

// Of two copies of one broadcast (an answer, a pushed event, in either order), the later:
// by updated_at, and for the same updated_at (its messages moved on, which does not touch
// the broadcast's row) by how far its counts are, since a message only moves forward.
function progressScore(counts) {
  return (
    counts.queued +
    2 * (counts.sent + counts.canceled + skippedCount(counts)) +
    3 * (counts.delivered + counts.failed)
  );
}

export function laterCopy(existing, incoming) {
  if (!existing) {
    return incoming;
  }
  const was = Date.parse(existing.updated_at);
  const is = Date.parse(incoming.updated_at);
  if (was !== is) {
    return is > was ? incoming : existing;
  }
  return progressScore(incoming.counts) >= progressScore(existing.counts) ? incoming : existing;
}
