// Why a message or an email failed, in words a person acts on: the providers' tables of
// error codes (GET /api/reports/failure_reasons, the same tables the reports use). They are
// fetched once, the first time a failed record with a code is drawn, and kept for the
// page's life; until they are in (or if they cannot be had) the thread shows the code and
// the provider's own words, as before. thread.js and email-thread.js ask here and redraw
// when the tables arrive (onFailureReasons); the drawing itself is render-failure.js's.

import { getJSON } from "./api.js";

// The contract's address (reports-api.md); the tables are the same for every page.
const FAILURE_REASONS_URL = "/api/reports/failure_reasons";

// The outbound statuses of a record that never reached the person, on either channel.
const FAILED = new Set(["failed", "undelivered", "bounced", "dropped"]);

let tables = null; // {sms: {code: reason}, email: {code: reason}} once fetched
let loading = null;
const listeners = [];

// The explanation of `record`'s failure on `channel` ("sms" or "email"): {code, title,
// action, url, provider}, or null (not failed, no code, no table yet, or a code no table
// knows).
export function failureReasonOf(channel, record) {
  const code = record.error_code;
  if (!FAILED.has(record.status) || record.direction === "inbound" || code == null || code === "") {
    return null;
  }
  if (tables === null) {
    load();
    return null;
  }
  return tables[channel]?.[String(code)] ?? null;
}

// `listener()` once the tables are in: the threads draw their failed records again.
export function onFailureReasons(listener) {
  listeners.push(listener);
}

function load() {
  if (loading) {
    return;
  }
  loading = getJSON(FAILURE_REASONS_URL).then(
    (answer) => {
      tables = answer;
      for (const listener of listeners) {
        listener();
      }
    },
    () => {
      // Offline, or the server refused: the next failed record drawn asks again.
      loading = null;
    },
  );
}
