// The Reports page's tables: the numbers behind each chart (under "The numbers"), the
// failures by error code with what each means and what to do, the teammates' reply times,
// and the heatmap of arrivals by weekday and hour. Each table keeps its <caption>; its
// rows are drawn again from every answer. Text from the API reaches the page as text
// only (h() appends strings), never as markup.

import { byPeriodAndChannel } from "./reports-charts.js";
import {
  channelName,
  count,
  counted,
  duration,
  percent,
  periodName,
  WEEKDAYS,
} from "./reports-words.js";
import { h } from "./render.js";

const byId = (id) => document.getElementById(id);
// The heatmap's shades: 0 for none, then five steps up to the busiest hour.
const HEAT_LEVELS = 5;

function fill(tableId, headings, rows, { empty } = {}) {
  const table = byId(tableId);
  const caption = table.querySelector("caption");
  const head = h(
    "thead",
    {},
    h(
      "tr",
      {},
      headings.map((text) => h("th", { scope: "col" }, text)),
    ),
  );
  const body = h("tbody");
  if (rows.length === 0 && empty) {
    body.append(h("tr", {}, h("td", { colspan: headings.length, className: "muted" }, empty)));
  }
  for (const cells of rows) {
    body.append(
      h(
        "tr",
        {},
        cells.map((cell, index) =>
          index === 0 ? h("th", { scope: "row" }, cell) : h("td", {}, cell),
        ),
      ),
    );
  }
  table.replaceChildren(caption, head, body);
}

export function drawVolumeTable(answer) {
  const { periods, channels, row } = byPeriodAndChannel(answer.rows);
  const headings = ["Period"];
  for (const channel of channels) {
    headings.push(`${channelName(channel)} in`, `${channelName(channel)} out`);
  }
  fill(
    "volume-table",
    headings,
    periods.map((period) => [
      periodName(period, answer.interval),
      ...channels.flatMap((channel) => [
        count(row(period, channel)?.inbound),
        count(row(period, channel)?.outbound),
      ]),
    ]),
  );
}

export function drawDeliveryTable(answer) {
  const rows = answer.rows.filter((row) => row.outbound > 0);
  fill(
    "delivery-table",
    ["Period", "Channel", "Sent", "Delivered", "Failed", "No answer yet", "Delivery rate"],
    rows.map((row) => [
      periodName(row.period, answer.interval),
      channelName(row.channel),
      count(row.outbound),
      count(row.delivered),
      count(row.failed),
      count(row.pending),
      percent(row.delivery_rate),
    ]),
    { empty: "Nothing was sent in this range." },
  );
}

export function drawDeliveryTotals(answer) {
  const { total } = answer;
  const decided = total.delivered + total.failed;
  const term = (name, value, note) =>
    h(
      "div",
      {},
      h("dt", {}, name),
      h("dd", {}, value),
      note ? h("dd", { className: "muted" }, note) : null,
    );
  byId("delivery-totals").replaceChildren(
    term(
      "Delivered",
      percent(total.delivery_rate),
      total.delivery_rate === null
        ? "No final answer yet"
        : `${count(total.delivered)} of ${count(decided)} with a final answer`,
    ),
    term("Sent", count(total.outbound)),
    term("Failed", count(total.failed)),
    term("No answer yet", count(total.pending)),
  );
}

export function drawErrors(answer) {
  const failed = answer.rows.reduce((sum, row) => sum + row.count, 0);
  const codes = answer.rows.length;
  const reasons = counted(codes, "reason", "reasons");
  byId("errors-summary").textContent = failed
    ? `${counted(failed, "failed message", "failed messages")}, ${reasons}.`
    : "No message failed in this range.";
  byId("errors-table").closest(".table-scroll").hidden = failed === 0;
  fill(
    "errors-table",
    ["Error", "Failed", "What it means", "What to do"],
    answer.rows.map((row) => [
      h(
        "span",
        { className: "error-code" },
        h("span", { className: `badge badge-${row.channel}` }, channelName(row.channel)),
        " ",
        row.code || "No code",
      ),
      count(row.count),
      h("span", { className: "error-title" }, row.title),
      h(
        "span",
        {},
        row.action,
        row.url
          ? [
              " ",
              h(
                "a",
                { href: row.url, target: "_blank", rel: "noopener noreferrer" },
                // Twilio's codes are numbers ("error 30007"); SendGrid's are words.
                /^\d+$/.test(row.code)
                  ? `More about error ${row.code}`
                  : `More about “${row.code}”`,
              ),
            ]
          : null,
      ),
    ]),
  );
}

export function drawResponseOverall(answer) {
  const { median_seconds: median, replies } = answer.overall;
  byId("response-median").textContent = duration(median);
  byId("response-overall-text").textContent = replies
    ? `Median time to first reply, over ${count(replies)} ${replies === 1 ? "reply" : "replies"}.`
    : "No replies in this range.";
}

export function drawResponseTable(answer) {
  fill(
    "response-table",
    ["Period", "Median", "Replies"],
    answer.by_period.map((row) => [
      periodName(row.period, answer.interval),
      duration(row.median_seconds),
      count(row.replies),
    ]),
  );
  fill(
    "agents-table",
    ["Teammate", "Median time to first reply", "Replies"],
    answer.rows.map((row) => [row.agent_name, duration(row.median_seconds), count(row.replies)]),
    { empty: "No teammate replied in this range." },
  );
}

function hourName(hour) {
  const two = (value) => String(value).padStart(2, "0");
  return `${two(hour)}:00 to ${two((hour + 1) % 24)}:00`;
}

// The level of a count among the range's: none, then five equal steps up to the busiest.
export function heatLevel(value, busiest) {
  return value === 0 ? 0 : Math.max(1, Math.ceil((value / busiest) * HEAT_LEVELS));
}

export function drawHeatmap(answer) {
  const grid = answer.heatmap;
  const busiest = Math.max(0, ...grid.flat());
  const table = byId("heatmap");
  const caption = table.querySelector("caption");
  const hours = [...Array(24).keys()];
  const head = h(
    "thead",
    {},
    h(
      "tr",
      {},
      h("td"),
      hours.map((hour) => h("th", { scope: "col", title: hourName(hour) }, String(hour))),
    ),
  );
  const body = h(
    "tbody",
    {},
    grid.map((counts, weekday) =>
      h(
        "tr",
        {},
        h(
          "th",
          { scope: "row" },
          h("abbr", { title: WEEKDAYS[weekday] }, WEEKDAYS[weekday].slice(0, 3)),
        ),
        counts.map((value, hour) =>
          h(
            "td",
            {
              className: `heat heat-${heatLevel(value, busiest)}`,
              title: `${WEEKDAYS[weekday]}, ${hourName(hour)}: ${count(value)} received`,
            },
            count(value),
          ),
        ),
      ),
    ),
  );
  table.replaceChildren(caption, head, body);

  const total = grid.flat().reduce((sum, value) => sum + value, 0);
  let peak = null;
  grid.forEach((counts, weekday) =>
    counts.forEach((value, hour) => {
      if (value > 0 && (peak === null || value > peak.value)) {
        peak = { value, weekday, hour };
      }
    }),
  );
  const peakName =
    peak && `${WEEKDAYS[peak.weekday]}, ${hourName(peak.hour)} (${count(peak.value)})`;
  byId("heatmap-summary").textContent = peak
    ? `${count(total)} received. Busiest: ${peakName}.`
    : "Nothing was received in this range.";
}
