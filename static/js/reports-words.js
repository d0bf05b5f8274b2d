// How the Reports page says its numbers: counts, rates, durations, periods and the counts'
// freshness, in the words people use ("4 min", "96.2%", "Week of Dec 1"). No state, no
// requests: API values in, strings out.

export const CHANNEL_NAMES = { sms: "SMS", email: "Email", internal: "Internal" };

export function channelName(channel) {
  return CHANNEL_NAMES[channel] ?? channel;
}

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const percentFormat = new Intl.NumberFormat(undefined, {
  style: "percent",
  maximumFractionDigits: 1,
});

export function count(value) {
  return integer.format(value ?? 0);
}

export function counted(value, one, many) {
  return `${count(value)} ${value === 1 ? one : many}`;
}

// A rate from 0 to 1, or null when nothing had a final answer.
export function percent(rate) {
  return rate === null || rate === undefined ? "–" : percentFormat.format(rate);
}

// "45 sec", "4 min", "1 h 20 min", "2 days 3 h": precise enough to compare, short enough
// for a big number. null (no replies) is a dash.
export function duration(seconds) {
  if (seconds === null || seconds === undefined) {
    return "–";
  }
  const total = Math.round(seconds);
  if (total < 60) {
    return `${total} sec`;
  }
  const minutes = Math.round(total / 60);
  if (minutes < 60) {
    return `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const rest = minutes % 60;
    return rest ? `${hours} h ${rest} min` : `${hours} h`;
  }
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  const dayWord = days === 1 ? "day" : "days";
  return rest ? `${days} ${dayWord} ${rest} h` : `${days} ${dayWord}`;
}

// The API's periods are calendar dates ("2026-12-01"): read and shown as dates, in UTC, so
// that the browser's own time zone never moves them to the day before.
function asDate(period) {
  const [year, month, day] = period.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day));
}

const dayFormat = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  timeZone: "UTC",
});
const dayYearFormat = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  year: "numeric",
  timeZone: "UTC",
});

// Short enough for a chart's axis: "Dec 1", with the year when the range spans two.
export function periodLabel(period, { withYear = false } = {}) {
  return (withYear ? dayYearFormat : dayFormat).format(asDate(period));
}

// The table's and the tooltip's longer form: "Dec 1, 2026" or "Week of Dec 1, 2026".
export function periodName(period, interval) {
  const day = dayYearFormat.format(asDate(period));
  return interval === "week" ? `Week of ${day}` : day;
}

export function spansYears(from, to) {
  return Boolean(from && to) && from.slice(0, 4) !== to.slice(0, 4);
}

export function rangeName(from, to) {
  return `${dayYearFormat.format(asDate(from))} to ${dayYearFormat.format(asDate(to))}`;
}

// "every 5 minutes", from REPORTS_REFRESH_SECONDS.
export function every(seconds) {
  if (seconds % 3600 === 0) {
    return seconds === 3600 ? "every hour" : `every ${seconds / 3600} hours`;
  }
  if (seconds % 60 === 0) {
    return seconds === 60 ? "every minute" : `every ${seconds / 60} minutes`;
  }
  return `every ${seconds} seconds`;
}

// "Counts as of 12:05 (refreshed every 5 minutes)", the time on TIME_ZONE's clock (the
// counts' own) with the day when it is not today there. Counts older than two refreshes
// are flagged: the refresh has probably stopped.
export function freshness(refreshedAt, { timeZone, refreshSeconds, now = new Date() }) {
  const cadence = `refreshed ${every(refreshSeconds)}`;
  if (!refreshedAt) {
    return {
      text: `The counts have not been made yet; they are ${cadence}.`,
      stale: true,
    };
  }
  const when = new Date(refreshedAt);
  const sameDay = (date) =>
    new Intl.DateTimeFormat("en-CA", { timeZone, dateStyle: "short" }).format(date);
  const options = { timeZone, hour: "numeric", minute: "2-digit" };
  if (sameDay(when) !== sameDay(now)) {
    Object.assign(options, { month: "short", day: "numeric" });
  }
  const shown = new Intl.DateTimeFormat(undefined, options).format(when);
  const ownZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zone = ownZone === timeZone ? "" : ` ${timeZone} time`;
  const stale = now - when > 2 * refreshSeconds * 1000;
  const text = `Counts as of ${shown}${zone} (${cadence}).`;
  return {
    text: stale ? `${text} They are late: the refresh may have stopped.` : text,
    stale,
  };
}

export const WEEKDAYS = [
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
  "Sunday",
];
