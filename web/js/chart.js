// Registrations saved per hour (R-OPS-1) as a bar chart in plain SVG, with the same figures as a
// table for screen readers and for anyone who wants the numbers. No library: rectangles and text.
import { h, tableRoles } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const HOUR = 3600 * 1000;
export const CHART_HOURS = 24;
const WIDTH = 480;
const HEIGHT = 210;
const PAD = { left: 40, right: 24, top: 12, bottom: 30 };

const HOUR_LABEL = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hour12: false });
const DAY_HOUR = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  month: "numeric",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

/** The last CHART_HOURS hours up to the newest one the service counted, hours without a save as 0.
 * An hour the page cannot read as a time is kept as the service wrote it, in its order. */
export function hourlySeries(perHour) {
  const points = perHour.map((p) => ({ at: Date.parse(p.hour), hour: p.hour, saved: Number(p.saved) || 0 }));
  if (!points.length) return [];
  if (points.some((p) => Number.isNaN(p.at))) return points.slice(-CHART_HOURS).map((p) => ({ label: String(p.hour), long: String(p.hour), saved: p.saved }));
  const byHour = new Map();
  for (const p of points) {
    const start = Math.floor(p.at / HOUR) * HOUR;
    byHour.set(start, (byHour.get(start) ?? 0) + p.saved);
  }
  const last = Math.max(...byHour.keys());
  const series = [];
  for (let start = last - (CHART_HOURS - 1) * HOUR; start <= last; start += HOUR) {
    const at = new Date(start);
    series.push({ label: HOUR_LABEL.format(at), long: DAY_HOUR.format(at), saved: byHour.get(start) ?? 0 });
  }
  return series;
}

/** A round top for the axis: 1, 2, 5 × 10^n at or above the largest bar. */
function axisTop(max) {
  if (max <= 4) return Math.max(max, 1);
  const power = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * power).find((top) => top >= max);
}

function bars(series, titleId, descId) {
  const top = axisTop(Math.max(...series.map((p) => p.saved)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const step = plotW / series.length;
  const y = (value) => PAD.top + plotH - (value / top) * plotH;
  const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-labelledby": `${titleId} ${descId}`, focusable: "false" });
  for (const tick of [0, top / 2, top]) {
    if (!Number.isInteger(tick)) continue;
    chart.append(
      svg("line", { class: "grid", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(tick), y2: y(tick) }),
      svg("text", { class: "axis", x: PAD.left - 6, y: y(tick) + 5, "text-anchor": "end" }, tick),
    );
  }
  const labelEvery = Math.max(1, Math.ceil(series.length / 6));
  series.forEach((point, i) => {
    const height = (point.saved / top) * plotH;
    const bar = svg("rect", { class: "bar", x: PAD.left + i * step + step * 0.15, y: y(point.saved), width: step * 0.7, height: Math.max(height, 0) });
    bar.append(svg("title", {}, `${point.long}：${point.saved} 人`));
    chart.append(bar);
    if ((series.length - 1 - i) % labelEvery === 0) {
      chart.append(svg("text", { class: "axis", x: PAD.left + i * step + step / 2, y: HEIGHT - 10, "text-anchor": "middle" }, point.label));
    }
  });
  return chart;
}

/** The chart in a <figure>: a caption, the bars, a one-sentence summary, and the figures as a table. */
export function hourlyChart(perHour) {
  const series = hourlySeries(perHour ?? []);
  const titleId = "chart-title";
  const descId = "chart-desc";
  const caption = h("figcaption", { id: titleId }, `每小时保存报名人数（最近 ${CHART_HOURS} 小时，北京时间）`);
  if (!series.length || series.every((p) => p.saved === 0)) {
    return h("figure", { class: "chart" }, caption, h("p", { class: "empty", id: descId }, "还没有考生保存报名信息。"));
  }
  const busiest = series.reduce((a, b) => (b.saved > a.saved ? b : a));
  const total = series.reduce((sum, p) => sum + p.saved, 0);
  const summary = h("p", { class: "hint", id: descId }, `最近 ${series.length} 小时共 ${total} 人保存报名，最多的一小时为 ${busiest.long}，${busiest.saved} 人。`);
  const table = tableRoles(
    h(
      "table",
      { class: "subjects" },
      h("caption", { class: "sr-only" }, "每小时保存报名人数"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "时段（北京时间）"), h("th", { scope: "col" }, "保存报名人数"))),
      h("tbody", {}, series.map((p) => h("tr", {}, h("th", { scope: "row" }, p.long), h("td", { "data-label": "保存报名人数" }, p.saved)))),
    ),
  );
  return h(
    "figure",
    { class: "chart" },
    caption,
    bars(series, titleId, descId),
    summary,
    h("details", {}, h("summary", {}, "按小时查看数字"), h("div", { class: "table-wrap" }, table)),
  );
}
