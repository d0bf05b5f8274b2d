// The Reports page's entry point (templates/reports/reports.html loads it as a module).
// Its parts:
//
//   reports-filters.js  the range, channel and interval: the form, the presets, the address
//   reports-charts.js   the charts (Chart.js), reports-tables.js the tables and the heatmap
//   reports-words.js    how all of them say numbers, durations, periods and freshness
//
// This module reads the four reports of the reports API at once for what the address
// says, draws each answer, points each CSV link at the same report, and says how fresh the
// counts are. Changing the form changes the address (so Back and a reload keep it), which
// reads the reports again; the counts are read again as often as they are refreshed.

import { getJSON } from "./api.js";
import { clearErrors, readableError, showErrors } from "./forms.js";
import { chartsAvailable, drawDelivery, drawResponseTimes, drawVolume } from "./reports-charts.js";
import {
  PRESETS,
  fillForm,
  fromAddress,
  markPresets,
  readForm,
  rememberInAddress,
  toQuery,
  today,
} from "./reports-filters.js";
import {
  drawDeliveryTable,
  drawDeliveryTotals,
  drawErrors,
  drawHeatmap,
  drawResponseOverall,
  drawResponseTable,
  drawVolumeTable,
} from "./reports-tables.js";
import { count, counted, duration, freshness, percent, rangeName } from "./reports-words.js";

const root = document.getElementById("reports");
const byId = (id) => document.getElementById(id);
const form = byId("report-filters");
const timeZone = root.dataset.timeZone;
const refreshSeconds = Number(root.dataset.refreshSeconds);

// What people call the API's parameters, in its error messages.
const FIELD_WORDS = {
  from: "The start date",
  to: "The end date",
  channel: "The channel",
  interval: "The interval",
};

function per(answer) {
  return answer.interval === "week" ? "per week" : "per day";
}

function drawVolumeReport(answer) {
  const inbound = answer.rows.reduce((sum, row) => sum + row.inbound, 0);
  const outbound = answer.rows.reduce((sum, row) => sum + row.outbound, 0);
  const range = rangeName(answer.from, answer.to);
  const summary = `${count(inbound)} received and ${count(outbound)} sent, ${range}.`;
  byId("volume-summary").textContent = summary;
  drawVolume(answer, `Bar chart of messages ${per(answer)}, in and out, by channel. ${summary}`);
  drawVolumeTable(answer);
  drawHeatmap(answer);
}

function drawDeliveryReport(answer) {
  const { total } = answer;
  drawDeliveryTotals(answer);
  drawDelivery(
    answer,
    `Line chart of the delivery rate ${per(answer)}. ` +
      `In all: ${percent(total.delivery_rate)} delivered, ${count(total.failed)} failed, ` +
      `${count(total.pending)} without an answer yet.`,
  );
  drawDeliveryTable(answer);
}

function drawResponseReport(answer) {
  drawResponseOverall(answer);
  drawResponseTimes(
    answer,
    `Line chart of the median time to first reply ${per(answer)}. ` +
      `Over the range: ${duration(answer.overall.median_seconds)}, ` +
      `${counted(answer.overall.replies, "reply", "replies")}.`,
  );
  drawResponseTable(answer);
}

// Each report: its address, how its answer is drawn, the page's sections it fills and
// its CSV link.
const REPORTS = [
  {
    url: root.dataset.volumeUrl,
    draw: drawVolumeReport,
    sections: ["volume-report", "heatmap-report"],
    csv: "volume-csv",
  },
  {
    url: root.dataset.deliveryUrl,
    draw: drawDeliveryReport,
    sections: ["delivery-report"],
    csv: "delivery-csv",
  },
  { url: root.dataset.errorsUrl, draw: drawErrors, sections: ["errors-report"], csv: "errors-csv" },
  {
    url: root.dataset.responseTimesUrl,
    draw: drawResponseReport,
    sections: ["response-report"],
    csv: "response-csv",
  },
];

function setBusy(report, busy) {
  for (const id of report.sections) {
    byId(id).setAttribute("aria-busy", String(busy));
  }
}

// A report whose answer did not come shows the last one it had, greyed out.
function setStale(report, stale) {
  for (const id of report.sections) {
    byId(id).toggleAttribute("data-stale", stale);
  }
}

function showFreshness(refreshedAt) {
  const { text, stale } = freshness(refreshedAt, { timeZone, refreshSeconds });
  const element = byId("freshness");
  element.textContent = text;
  element.classList.toggle("freshness-late", stale);
}

let controller = null;
let lastLoad = 0;

async function load() {
  lastLoad = Date.now();
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  const filters = fromAddress();
  const query = toQuery(filters);
  root.dataset.state = "loading";
  REPORTS.forEach((report) => setBusy(report, true));
  const results = await Promise.allSettled(
    REPORTS.map((report) => getJSON(query ? `${report.url}?${query}` : report.url, { signal })),
  );
  if (signal.aborted) {
    return;
  }
  clearErrors(form);
  let failure = null;
  let answered = null;
  results.forEach((result, index) => {
    const report = REPORTS[index];
    setBusy(report, false);
    setStale(report, result.status === "rejected");
    if (result.status === "rejected") {
      failure ??= result.reason;
      return;
    }
    answered ??= result.value;
    report.draw(result.value);
  });
  if (failure) {
    // The same parameters go to every report: a 400 is about the form, said once.
    showErrors(form, readableError(failure, FIELD_WORDS));
  }
  let shown = filters;
  if (answered) {
    // The answer names what it covers, defaults included: the form shows that.
    shown = {
      from: answered.from,
      to: answered.to,
      channel: answered.channel ?? "",
      interval: answered.interval,
    };
    fillForm(form, shown);
    markPresets(form, shown, timeZone);
    showFreshness(answered.refreshed_at);
  }
  // Each CSV is its report for the same range, channel and interval as on the page.
  const csvQuery = toQuery(failure ? filters : shown, { format: "csv" });
  for (const report of REPORTS) {
    byId(report.csv).href = `${report.url}?${csvQuery}`;
  }
  root.dataset.state = failure ? "error" : "loaded";
}

// The form shows the choice at once (a preset's dates too), so that a change made before
// the answers arrive builds on it.
function choose(filters) {
  fillForm(form, filters);
  markPresets(form, filters, timeZone);
  rememberInAddress(filters);
  load();
}

form.addEventListener("change", () => choose(readForm(form)));
form.addEventListener("submit", (event) => {
  event.preventDefault();
  choose(readForm(form));
});
form.addEventListener("click", (event) => {
  const button = event.target.closest("[data-preset]");
  if (button) {
    choose({ ...readForm(form), ...PRESETS[button.dataset.preset](today(timeZone)) });
  }
});
window.addEventListener("popstate", load);

if (!chartsAvailable) {
  byId("no-charts").hidden = false;
  for (const details of document.querySelectorAll(".report-numbers")) {
    details.open = true;
  }
}

// The counts change only when they are refreshed: read them again as often, while the
// page is in view, and at once when it comes back into view after a longer absence. Not
// while the form shows an error: the same question would get the same answer.
const loadIfDue = () => {
  const due = Date.now() - lastLoad >= refreshSeconds * 1000;
  if (due && !document.hidden && root.dataset.state === "loaded") {
    load();
  }
};
setInterval(loadIfDue, Math.min(refreshSeconds, 60) * 1000);
document.addEventListener("visibilitychange", loadIfDue);

load().then(() => {
  root.dataset.ready = "true";
});
