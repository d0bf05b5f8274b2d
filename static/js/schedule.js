// Times for sending later, in the reader's own clock: the choices the composers offer
// (later today, tomorrow morning), how a chosen time reads ("Tue 8:00 AM"), the checks the
// API makes (at least a minute and at most a year ahead) said in people's words, and the
// time as the API takes it: ISO 8601 with this browser's offset, never a naive time, which
// the server would have to guess a zone for.

// A clock face, for icon(): what waits to be sent, wherever it shows.
export const CLOCK_ICON = "M21 12a9 9 0 1 1-18 0a9 9 0 1 1 18 0z M12 7v5l3 2";

const MINUTE = 60_000;
const DAY = 86_400_000;
// The API's bounds (outbox.scheduling): sooner is a send now; later is a typo.
const MIN_LEAD = MINUTE;
const MAX_LEAD = 365 * DAY;

const clock = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const soon = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  hour: "numeric",
  minute: "2-digit",
});
const later = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  month: "short",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
});
const otherYear = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
});

const pad = (number) => String(number).padStart(2, "0");

function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

// When a chosen time goes, always as a weekday or a date: "tomorrow" would be wrong by
// morning in a tab left open overnight. Within the coming week the weekday and the time
// ("Tue 8:00 AM"); further on the date too.
export function whenText(date, now = new Date()) {
  const days = Math.round((startOfDay(date) - startOfDay(now)) / DAY);
  if (days >= 0 && days < 7) {
    return soon.format(date);
  }
  return date.getFullYear() === now.getFullYear() ? later.format(date) : otherYear.format(date);
}

// The menu's choices: three hours on, to the next quarter hour, while that is still today
// (after 9 PM "later today" would be tomorrow); and 8 tomorrow morning.
export function scheduleChoices(now = new Date()) {
  const laterToday = new Date(now.getTime() + 3 * 3_600_000);
  laterToday.setMinutes(Math.ceil(laterToday.getMinutes() / 15) * 15, 0, 0);
  const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 8);
  const choices = [];
  if (laterToday.getDate() === now.getDate()) {
    choices.push({ text: "Later today", at: laterToday, detail: clock.format(laterToday) });
  }
  choices.push({ text: "Tomorrow morning", at: tomorrow, detail: soon.format(tomorrow) });
  return choices;
}

// 2027-01-31T09:30:00+01:00: the local wall-clock time with the offset in force then
// (getTimezoneOffset is minutes behind UTC, so its sign is flipped).
export function isoWithOffset(date) {
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  const minutes = Math.abs(offset);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`
  );
}

// <input type="datetime-local"> speaks the browser's local time without a zone.
export function localInputValue(date) {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

// A date-time without an offset is read as local time (ECMAScript's rule): what the
// person picked, on their clock. Null for an empty or unreadable value.
export function fromLocalInput(value) {
  const date = value ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

// What is wrong with `date` as a time to send at, in the words the composers show; "" when
// nothing is. The server checks again when the message is sent.
export function sendAtProblem(date, now = new Date()) {
  if (!date) {
    return "Pick a date and a time.";
  }
  if (date.getTime() - now.getTime() < MIN_LEAD) {
    return "Pick a time at least a minute from now.";
  }
  if (date.getTime() - now.getTime() > MAX_LEAD) {
    return "Pick a time within a year from now.";
  }
  return "";
}

// The earliest time worth offering in a picker: a minute on, to the minute.
export function earliestSendAt(now = new Date()) {
  const earliest = new Date(now.getTime() + 2 * MINUTE);
  earliest.setSeconds(0, 0);
  return earliest;
}
