// 全省报名概况 (R-OPS-1): the province administrator's figures, refreshed every 30 seconds, and
// below them the room plan per site (R-TICKET-3, rooms.js) and the changes they may make while
// registration runs (R-OPS-2, province_changes.js).
import { ApiError, get } from "../api.js";
import { hourlyChart } from "../chart.js";
import { busy, h, messageBox, showMessage, tableRoles } from "../dom.js";
import { clockTime, subjectName, yuan } from "../format.js";
import { describe } from "../messages.js";
import { changeForms, changeLog, knownWindows } from "./province_changes.js";
import { adminPlanFigures, fetchRoomPlan } from "./rooms.js";
import { remainingBadge } from "./subjects.js";

export const REFRESH_SECONDS = 30;

/** R-ORAL-3's colours with the student's thresholds: green above half left, yellow half or less, none full. */
export function seatState(capacity, taken) {
  const left = capacity - taken;
  if (left <= 0) return "none";
  return left * 2 > capacity ? "green" : "yellow";
}

export const seatKey = (seat) => `${seat.campus_id}/${seat.subject}`;

/** What the page knows of the province: the last overview, the change log, the room plan, schools
 * and notices. */
class Board {
  constructor(overview, notices, changes, rooms) {
    this.notices = notices;
    this.listeners = [];
    this.windows = new Map();
    this.noticeText = new Map([["province", notices.province?.notice ?? ""], ...notices.schools.map((s) => [s.id, s.notice ?? ""])]);
    this.take(overview, changes, rooms);
  }

  take(overview, changes, rooms) {
    this.overview = overview;
    this.rooms = rooms;
    this.changes = Array.isArray(changes) ? changes : [];
    this.fetchedAt = new Date();
    for (const [id, window] of knownWindows(overview, this.changes, this.notices.schools.map((s) => s.id))) this.windows.set(id, window);
  }

  /** Fetches the overview, the change log and the room plan again; every part drawn from them redraws. */
  async refresh() {
    const [overview, changes, rooms] = await Promise.all([get("/admin/overview"), get("/admin/changes"), fetchRoomPlan()]);
    this.take(overview, changes, rooms);
    for (const listener of this.listeners) listener(this);
  }

  listen(listener) {
    this.listeners.push(listener);
  }

  seats() {
    return this.overview.seats ?? [];
  }

  seat(key) {
    return this.seats().find((s) => seatKey(s) === key) ?? null;
  }

  schools() {
    return this.notices.schools;
  }

  schoolName(id) {
    if (id === "province") return "全省";
    return this.notices.schools.find((s) => s.id === id)?.name ?? id;
  }

  campusName(id) {
    const seat = this.seats().find((s) => s.campus_id === id);
    return seat?.campus_name ?? seat?.name ?? id;
  }

  seatLabel(seat) {
    return `${this.campusName(seat.campus_id)} · ${subjectName(seat.subject)}`;
  }
}

function tiles(items) {
  return h(
    "dl",
    { class: "tiles" },
    items.map(([label, value]) => h("div", { class: "tile" }, h("dt", {}, label), h("dd", {}, value))),
  );
}

/** The share of the capacity taken, as a bar in the seat line's colour, and in words beside it. */
function capacityBar(seat, state) {
  const share = seat.capacity > 0 ? Math.min(100, Math.round((seat.taken / seat.capacity) * 100)) : 100;
  const fill = h("span", { class: `fill ${state}` });
  fill.style.width = `${share}%`;
  return h(
    "span",
    { class: "capacity" },
    h("span", { class: "track", "aria-hidden": "true" }, fill),
    h("span", {}, `已占用 ${seat.taken} / 容量 ${seat.capacity}（${share}%）`),
  );
}

function seatTable(board) {
  const seats = board.seats();
  if (!seats.length) return h("p", { class: "empty" }, "本省没有设置口试考位。");
  const rows = seats.map((seat) => {
    const state = seatState(seat.capacity, seat.taken);
    return h(
      "tr",
      { dataset: { seat: seatKey(seat) } },
      h("th", { scope: "row" }, board.seatLabel(seat)),
      h("td", { "data-label": "考位占用" }, capacityBar(seat, state)),
      h("td", { "data-label": "其中未缴费保留" }, seat.live_holds),
      h("td", { "data-label": "候补人数" }, seat.waiting),
      h("td", { "data-label": "余量" }, remainingBadge(state)),
    );
  });
  return h(
    "div",
    { class: "table-wrap" },
    tableRoles(
      h(
        "table",
        { class: "subjects seat-lines" },
        h("caption", {}, `口试考位（${seats.length} 个校区科目）`),
        h("thead", {}, h("tr", {}, ["校区 · 科目", "考位占用", "其中未缴费保留", "候补人数", "余量"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows),
      ),
    ),
  );
}

function reviewsPending(board) {
  const pending = (board.overview.reviews_pending ?? []).filter((r) => r.count > 0);
  if (!pending.length) return h("p", { class: "empty" }, "各校都没有待复核的申请。");
  return h("ul", { class: "per-school" }, pending.map((r) => h("li", {}, `${board.schoolName(r.school_id)}：`, h("strong", {}, `${r.count} 条`))));
}

function latePayments(board) {
  const late = board.overview.late_payments;
  const count = Array.isArray(late) ? late.length : Number(late) || 0;
  return [
    h("p", {}, "逾期到账的缴费：", h("strong", {}, `${count} 笔`)),
    h("p", { class: "hint" }, "科目过期后才到账的付款：考位仍空闲则重新保留，否则原路退款；明细见各校负责老师的页面。"),
  ];
}

/** Every figure of the overview; drawn again on each refresh. */
function figures(board) {
  const { registrations = {}, orders = {} } = board.overview;
  return [
    h("h2", {}, "报名"),
    tiles([["已保存报名", `${registrations.saved ?? 0} 人`]]),
    hourlyChart(registrations.per_hour),
    h("h2", {}, "口试考位"),
    h("p", { class: "hint" }, "余量颜色与考生页面相同：", remainingBadge("green"), " 剩余超过一半；", remainingBadge("yellow"), " 一半或以下；", remainingBadge("none"), " 已报满。"),
    seatTable(board),
    h("h2", {}, "订单与缴费"),
    tiles([
      ["待支付", `${orders.open ?? 0} 笔`],
      ["已缴费", `${orders.paid ?? 0} 笔`],
      ["已关闭", `${orders.closed ?? 0} 笔`],
      ["已退款", `${orders.refunded ?? 0} 笔`],
      ["已缴费金额", yuan(orders.paid_amount ?? 0)],
    ]),
    h("h2", {}, "待复核的 CET6 资格申请"),
    reviewsPending(board),
    h("h2", {}, "逾期到账的缴费"),
    ...latePayments(board),
  ];
}

/** Redraws `area` from `draw()`, keeping open whichever <details> were open. */
function redraw(area, draw) {
  const open = [...area.querySelectorAll("details")].map((d) => d.open);
  area.replaceChildren(...draw());
  area.querySelectorAll("details").forEach((d, i) => (d.open = open[i] ?? false));
}

/** Every REFRESH_SECONDS while the page shows the overview; a failed refresh keeps the last figures. */
function keepFresh(root, refresh) {
  let shown = false; // the page is built before it is shown
  const timer = setInterval(() => {
    if (root.isConnected) shown = true;
    if (shown && !root.isConnected) clearInterval(timer);
    else if (shown) refresh();
  }, REFRESH_SECONDS * 1000);
}

export async function provinceView(ctx) {
  const [overview, notices, changes, rooms] = await Promise.all([get("/admin/overview"), get("/notices"), get("/admin/changes"), fetchRoomPlan()]);
  const board = new Board(overview, notices, changes, rooms);
  const updated = h("span", {});
  const stale = messageBox();
  const area = h("div", { class: "figures" });
  const log = h("div", {});
  const plan = h("div", { class: "figures" });
  const knownName = (id) => (board.campusName(id) === id ? null : board.campusName(id)); // campuses with oral seats
  const planFigures = () => adminPlanFigures(board.rooms.plan, board.rooms.sitting, knownName);
  const stamp = () => (updated.textContent = `更新于 ${clockTime(board.fetchedAt)}（北京时间），每 ${REFRESH_SECONDS} 秒自动更新`);
  board.listen(() => {
    stamp();
    showMessage(stale, "");
    redraw(area, () => figures(board));
    redraw(plan, planFigures);
    log.replaceChildren(changeLog(board));
  });
  stamp();
  area.append(...figures(board));
  plan.append(...planFigures());
  log.append(changeLog(board));

  const refresh = async () => {
    try {
      await board.refresh();
    } catch (error) {
      if (error instanceof ApiError && error.code === "UNAUTHENTICATED") throw error;
      const why = error instanceof ApiError ? describe(error) : describe({ code: "NETWORK" });
      showMessage(stale, `更新失败：${why} 下列数字为 ${clockTime(board.fetchedAt)} 的数据，${REFRESH_SECONDS} 秒后自动重试。`, "warn");
    }
  };
  const now = h("button", { type: "button", class: "small" }, "立即更新");
  now.addEventListener("click", () => busy(now, refresh));
  const root = h(
    "div",
    { class: "province" },
    h(
      "section",
      { class: "card", "aria-labelledby": "overview-title" },
      h("h1", { id: "overview-title" }, "全省报名概况"),
      h("p", { class: "updated" }, updated, " ", now),
      stale,
      area,
    ),
    h("section", { class: "card", "aria-labelledby": "plan-title" }, h("h2", { id: "plan-title" }, "考场编排"), plan),
    changeForms(ctx, board),
    h("section", { class: "card", "aria-labelledby": "changes-title" }, h("h2", { id: "changes-title" }, "修改记录"), log),
  );
  keepFresh(root, refresh);
  return root;
}
