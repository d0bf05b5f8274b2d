// The Reports page's charts, drawn by Chart.js (static/vendor/chart.js, a classic script
// that sets window.Chart before this module runs): messages per period, the delivery rate
// and the time to first reply. Each chart is drawn again in place when new answers come,
// and each canvas's aria-label says what it shows; the numbers themselves are in the table
// beside each chart (reports-tables.js), for screen readers and for a browser without the
// charts.
//
// Colours come from reports.css's custom properties, so the dark scheme only swaps values.

import {
  channelName,
  count,
  counted,
  duration,
  percent,
  periodLabel,
  periodName,
  spansYears,
} from "./reports-words.js";

const { Chart } = window;
export const chartsAvailable = typeof Chart === "function";

const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
// Past this many periods a line's points would only blur it: the tooltip still finds them.
const POINTS_UP_TO = 60;

function colours() {
  const style = getComputedStyle(document.documentElement);
  const read = (name) => style.getPropertyValue(name).trim();
  const channel = (name) => ({ in: read(`--chart-${name}-in`), out: read(`--chart-${name}`) });
  return {
    text: read("--muted"),
    grid: read("--border"),
    all: read("--chart-all"),
    sms: channel("sms"),
    email: channel("email"),
    internal: channel("internal"),
  };
}

if (chartsAvailable) {
  const palette = colours();
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = palette.text;
  Chart.defaults.borderColor = palette.grid;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = reducedMotion ? false : { duration: 250 };
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
}

// The periods of the answer (oldest first, as the API lists them) and its channels, in the
// API's order, with the row of each (period, channel).
export function byPeriodAndChannel(rows) {
  const periods = new Set();
  const channels = new Set();
  const rowOf = new Map();
  for (const row of rows) {
    periods.add(row.period);
    channels.add(row.channel);
    rowOf.set(`${row.period}|${row.channel}`, row);
  }
  return {
    periods: [...periods],
    channels: [...channels],
    row: (period, channel) => rowOf.get(`${period}|${channel}`),
  };
}

function draw(canvasId, config, label) {
  const canvas = document.getElementById(canvasId);
  canvas.setAttribute("aria-label", label);
  if (!chartsAvailable) {
    return;
  }
  const chart = Chart.getChart(canvas);
  if (chart && chart.config.type === config.type) {
    chart.data = config.data;
    chart.options = config.options;
    chart.update();
    return;
  }
  chart?.destroy();
  new Chart(canvas, config);
}

function periodAxis(answer, periods) {
  const withYear = spansYears(answer.from, answer.to);
  return {
    labels: periods.map((period) => periodLabel(period, { withYear })),
    title: (items) => periodName(periods[items[0].dataIndex], answer.interval),
  };
}

export function drawVolume(answer, label) {
  const palette = colours();
  const { periods, channels, row } = byPeriodAndChannel(answer.rows);
  const axis = periodAxis(answer, periods);
  const datasets = channels.flatMap((channel) => [
    {
      label: `${channelName(channel)} in`,
      stack: "in",
      backgroundColor: palette[channel]?.in,
      data: periods.map((period) => row(period, channel)?.inbound ?? 0),
    },
    {
      label: `${channelName(channel)} out`,
      stack: "out",
      backgroundColor: palette[channel]?.out,
      data: periods.map((period) => row(period, channel)?.outbound ?? 0),
    },
  ]);
  draw(
    "volume-chart",
    {
      type: "bar",
      data: { labels: axis.labels, datasets },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: true, grid: { display: false } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              title: axis.title,
              label: (item) => `${item.dataset.label}: ${count(item.raw)}`,
            },
          },
        },
      },
    },
    label,
  );
}

// Delivered out of delivered and failed, summed over some rows; null when none had an answer.
export function rateOf(rows) {
  const delivered = rows.reduce((sum, row) => sum + row.delivered, 0);
  const failed = rows.reduce((sum, row) => sum + row.failed, 0);
  return {
    delivered,
    decided: delivered + failed,
    rate: delivered + failed ? delivered / (delivered + failed) : null,
  };
}

function line(label, colour, values, many) {
  return {
    label,
    data: values,
    borderColor: colour,
    backgroundColor: colour,
    pointRadius: many ? 0 : 3,
    tension: 0.2,
    spanGaps: false,
    // A point on the axis's top (a 100 % day) is drawn whole, not cut in half.
    clip: 6,
  };
}

export function drawDelivery(answer, label) {
  const palette = colours();
  const { periods, channels, row } = byPeriodAndChannel(answer.rows);
  const axis = periodAxis(answer, periods);
  const many = periods.length > POINTS_UP_TO;
  // A channel that sent nothing in the range would only draw an empty line.
  const sending = channels.filter((channel) =>
    periods.some((period) => (row(period, channel)?.outbound ?? 0) > 0),
  );
  const detail = new Map();
  const series = sending.map((channel) => {
    const rates = periods.map((period) => rateOf([row(period, channel)].filter(Boolean)));
    detail.set(channelName(channel), rates);
    return line(channelName(channel), palette[channel]?.out, rates.map(asPercent), many);
  });
  if (sending.length > 1) {
    const rates = periods.map((period) =>
      rateOf(sending.map((channel) => row(period, channel)).filter(Boolean)),
    );
    detail.set("All channels", rates);
    series.unshift(line("All channels", palette.all, rates.map(asPercent), many));
  }
  draw(
    "delivery-chart",
    {
      type: "line",
      data: { labels: axis.labels, datasets: series },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { display: false } },
          // Rates sit near the top: start at 80 % unless one is lower, so a dip shows.
          y: { suggestedMin: 80, max: 100, ticks: { callback: (value) => `${value}%` } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              title: axis.title,
              label: (item) => {
                const { rate, delivered, decided } = detail.get(item.dataset.label)[item.dataIndex];
                const outOf = `${count(delivered)} of ${count(decided)}`;
                return `${item.dataset.label}: ${percent(rate)} (${outOf})`;
              },
            },
          },
        },
      },
    },
    label,
  );
}

function asPercent({ rate }) {
  return rate === null ? null : Math.round(rate * 1000) / 10;
}

// Round steps for a duration axis (30 sec, 5 min, 1 h, 1 day...): at most five of them up
// to the longest median, so the ticks read "10 min, 20 min" rather than "17 min, 33 min".
const DURATION_STEPS = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200];
const DAY = 86400;

export function durationStep(longest) {
  const step = DURATION_STEPS.find((seconds) => longest / seconds <= 5);
  return step ?? DAY * Math.ceil(longest / DAY / 5);
}

export function drawResponseTimes(answer, label) {
  const palette = colours();
  const periods = answer.by_period.map((row) => row.period);
  const axis = periodAxis(answer, periods);
  const many = periods.length > POINTS_UP_TO;
  const medians = answer.by_period.map((row) => row.median_seconds);
  const step = durationStep(Math.max(0, ...medians.filter((value) => value !== null)));
  draw(
    "response-chart",
    {
      type: "line",
      data: {
        labels: axis.labels,
        datasets: [line("Median time to first reply", palette.all, medians, many)],
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { display: false } },
          y: {
            beginAtZero: true,
            ticks: { stepSize: step, callback: (value) => (value ? duration(value) : "0") },
          },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: axis.title,
              label: (item) => {
                const { median_seconds: median, replies } = answer.by_period[item.dataIndex];
                return `${duration(median)} (${counted(replies, "reply", "replies")})`;
              },
            },
          },
        },
      },
    },
    label,
  );
}
