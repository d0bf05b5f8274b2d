// What the reports cover: the date range, the channel and the interval. They live in the
// page's address (/reports?from=2026-11-08&to=2026-12-07&channel=sms&interval=week), so
// that a reload, the browser's Back and a shared link show the same reports; the form shows
// them, and its presets fill in the usual ranges, counted on TIME_ZONE's calendar (the
// counts' own), not the browser's.

export const PARAMS = ["from", "to", "channel", "interval"];

// "2026-12-07": today on the calendar of `timeZone`.
export function today(timeZone, now = new Date()) {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(now);
}

function shift(date, { days = 0, months = 0 }) {
  const [year, month, day] = date.split("-").map(Number);
  const shifted = new Date(Date.UTC(year, month - 1 + months, day + days));
  // Dec 31 minus a month is Dec 1 in Date's arithmetic: clamp to the month's last day.
  if (months && shifted.getUTCDate() !== day) {
    shifted.setUTCDate(0);
  }
  return shifted.toISOString().slice(0, 10);
}

// Each preset ends today and counts today among its days.
export const PRESETS = {
  "7d": (end) => ({ from: shift(end, { days: -6 }), to: end }),
  "30d": (end) => ({ from: shift(end, { days: -29 }), to: end }),
  "12m": (end) => ({ from: shift(shift(end, { months: -12 }), { days: 1 }), to: end }),
};

// The chosen values, as the address has them; absent ones are left to the API's defaults.
export function fromAddress(search = window.location.search) {
  const query = new URLSearchParams(search);
  return Object.fromEntries(
    PARAMS.filter((name) => query.get(name)).map((name) => [name, query.get(name)]),
  );
}

export function toQuery(filters, extra = {}) {
  const query = new URLSearchParams();
  for (const name of PARAMS) {
    if (filters[name]) {
      query.set(name, filters[name]);
    }
  }
  for (const [name, value] of Object.entries(extra)) {
    query.set(name, value);
  }
  return query.toString();
}

export function readForm(form) {
  return Object.fromEntries(
    PARAMS.map((name) => [name, form.elements.namedItem(name).value]).filter(([, v]) => v),
  );
}

// The form shows what the reports are of: the API's answer names the range and interval
// it used, defaults included, so an empty field is filled in once the answer is in.
export function fillForm(form, filters) {
  for (const name of PARAMS) {
    const control = form.elements.namedItem(name);
    const value = filters[name] ?? (name === "interval" ? "day" : "");
    if (control.value !== value) {
      control.value = value;
    }
  }
}

export function markPresets(form, filters, timeZone) {
  const end = today(timeZone);
  for (const button of form.querySelectorAll("[data-preset]")) {
    const range = PRESETS[button.dataset.preset](end);
    const pressed = range.from === filters.from && range.to === filters.to;
    button.setAttribute("aria-pressed", String(pressed));
  }
}

export function rememberInAddress(filters, { replace = false } = {}) {
  const query = toQuery(filters);
  const address = window.location.pathname + (query ? `?${query}` : "");
  if (address === window.location.pathname + window.location.search) {
    return;
  }
  window.history[replace ? "replaceState" : "pushState"](null, "", address);
}
