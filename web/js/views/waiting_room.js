// 排队 (R-QUEUE-1..5): when the student's oral campuses belong to an opening, its queue: join,
// the place, admitted so far, the estimated wait, "轮到您了" with the time left, and after the
// opening the check of one's place in the published order (queue_check.js, R-QUEUE-6).
import { get, post } from "../api.js";
import { busy, h, messageBox, showMessage } from "../dom.js";
import { beijing, timeLeft } from "../format.js";
import { describe } from "../messages.js";
import { placeCheck } from "./queue_check.js";

const REFRESH_MS = 20000;

function minutes(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return "不到 1 分钟";
  return `约 ${Math.ceil(seconds / 60)} 分钟`;
}

/** The time left of an admission; never more than the pass itself, whatever the device's clock says. */
function passCountdown(until, passMinutes) {
  const node = h("strong", { class: "countdown pass" });
  const ends = Math.min(Date.parse(until), Date.now() + passMinutes * 60000);
  const tick = () => {
    const left = timeLeft(new Date(ends).toISOString());
    node.textContent = left ? `剩余 ${left}` : "放行时间已过";
    return Boolean(left);
  };
  tick();
  let shown = false;
  const timer = setInterval(() => {
    if (node.isConnected) shown = true;
    if ((shown && !node.isConnected) || !tick()) clearInterval(timer);
  }, 1000);
  return node;
}

function entryDetails(opening, entry) {
  if (entry.state === "admitted") {
    return h(
      "div",
      { class: "message success admitted", role: "status" },
      h("p", { class: "your-turn" }, h("strong", {}, "轮到您了！")),
      h("p", {}, `请在 ${beijing(entry.admitted_until)}前选择下方的口试校区并提交：`, passCountdown(entry.admitted_until, opening.pass_minutes)),
      h("p", { class: "hint" }, "放行不保证有考位：考位仍按先到先得，已满的校区不能选择。"),
    );
  }
  if (entry.state === "lapsed") {
    return h("p", { class: "message warn" }, `您的放行已于 ${beijing(entry.admitted_until)}过期。可以重新排队，将排到队尾。`);
  }
  const rows = [
    ["我的位置", entry.position === null ? "开放时随机排定（提前加入不占优势）" : `第 ${entry.position} 位`],
    ["已放行", `${opening.admitted} 人`],
    ["前面还有", entry.ahead === null ? "—" : `${entry.ahead} 人`],
    ["预计等待", entry.position === null ? `开放后按每分钟 ${opening.admit_per_minute} 人放行` : minutes(entry.estimated_wait_seconds)],
  ];
  return h("dl", { class: "queue-figures" }, rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

/** R-QUEUE-2: the queue is per candidate. Without a saved registration (gone meanwhile, R-BIND-4),
 * what to do and the way to do it. */
function saveFirst(ctx, box, error) {
  showMessage(box, describe(error));
  const href = ctx.me.agreement_accepted ? "#/lookup" : "#/agreement";
  box.append(" ", h("a", { class: "button primary", href }, "保存报名"));
}

/** R-QUEUE-1: the campuses of the openings whose queue is open and whose student is not admitted:
 * choosing them needs the turn first, so the page does not offer them yet. */
export function gatedCampuses(standing) {
  const open = (opening) => opening.state === "queueing" || opening.state === "admitting";
  return new Set(standing.filter(({ opening, entry }) => open(opening) && entry?.state !== "admitted").flatMap(({ opening }) => opening.campuses));
}

/** NOT_ADMITTED said in the student's own situation: already queued, lapsed, or not yet queued. */
export function notAdmittedText(standing, error) {
  const waiting = standing.find(({ entry }) => entry?.state === "waiting")?.entry;
  if (waiting) {
    const place = waiting.position === null ? "开放时将随机排定您的位置" : `您在第 ${waiting.position} 位，前面还有 ${waiting.ahead ?? "—"} 人`;
    return `您已在排队中，还没轮到您：${place}。轮到您后上方会显示“轮到您了”，届时再选择这个校区。`;
  }
  if (standing.some(({ entry }) => entry?.state === "lapsed")) return "您的放行时间已过：请在上方点“重新排队”，轮到您后再选择这个校区。";
  return describe(error);
}

async function openingCard(ctx, opening, onChange, seen, names) {
  const box = messageBox();
  let entry = null;
  if (opening.state === "queueing" || opening.state === "admitting") {
    try {
      entry = await get(`/openings/${encodeURIComponent(opening.opening_id)}/entries/current`);
    } catch (error) {
      if (error?.code !== "NOT_FOUND") throw error;
    }
  }
  if (entry?.state === "waiting") seen.waiting = true;
  seen.standing.push({ opening, entry });
  const join = async (button) =>
    busy(button, async () => {
      try {
        await post(`/openings/${encodeURIComponent(opening.opening_id)}/entries`);
      } catch (error) {
        if (error?.code === "UNAUTHENTICATED") throw error;
        if (error?.code === "REGISTRATION_REQUIRED") return saveFirst(ctx, box, error);
        return showMessage(box, describe(error));
      }
      await onChange();
    });
  const open = opening.state === "queueing" || opening.state === "admitting";
  const joinButton =
    open && (!entry || entry.state === "lapsed")
      ? h("button", { type: "button", class: "primary join" }, entry ? "重新排队" : "加入排队")
      : null;
  joinButton?.addEventListener("click", () => join(joinButton));
  const refresh = open && entry ? h("button", { type: "button", class: "small" }, "刷新") : null;
  refresh?.addEventListener("click", () => busy(refresh, onChange));
  const times = `排队 ${beijing(opening.queue_opens_at)}起 · 开放 ${beijing(opening.opens_at)} · 截止 ${beijing(opening.closes_at)}`;
  const status = {
    upcoming: `排队尚未开始，将于 ${beijing(opening.queue_opens_at)}开始。`,
    queueing: `排队中：${beijing(opening.opens_at)}开放时随机排序，之后每分钟放行 ${opening.admit_per_minute} 人，每人有 ${opening.pass_minutes} 分钟选择校区。`,
    admitting: `放行中：每分钟 ${opening.admit_per_minute} 人，每人有 ${opening.pass_minutes} 分钟选择校区；已排队 ${opening.queued} 人，已放行 ${opening.admitted} 人。`,
    closed: "本场次排队已结束，现在选择校区无需排队。",
  }[opening.state];
  return h(
    "section",
    { class: "queue notice", "aria-label": `排队：${opening.name}` },
    h("h2", {}, `排队：${opening.name}`),
    h("p", { class: "queue-campuses" }, "本场次校区：", opening.campuses.map((id) => names.get(id) ?? id).join("、")),
    h("p", { class: "hint" }, times),
    h("p", {}, status),
    entry ? entryDetails(opening, entry) : open ? h("p", {}, "这些校区正在集中开放：请先加入排队，轮到您后才能选择。") : null,
    box,
    joinButton || refresh ? h("div", { class: "actions" }, joinButton, refresh) : null,
    placeCheck(opening, ctx.me.account_id, entry),
  );
}

/** The queues of the openings that hold any of `campuses` (empty when none does); after each
 * render `onStanding(standing)` hears each opening with the student's entry (null: not queued). */
export async function queuePanel(ctx, campuses, onStanding = () => {}) {
  const area = h("div", { class: "queues", "aria-live": "polite" });
  const names = new Map(campuses.map((c) => [c.campus_id, c.name]));
  const seen = { waiting: false, standing: [] }; // refreshed on its own only while a place is waiting
  const render = async () => {
    const openings = (await get("/openings")).filter((o) => o.campuses.some((c) => names.has(c)));
    seen.waiting = false;
    seen.standing = [];
    area.replaceChildren(...(await Promise.all(openings.map((o) => openingCard(ctx, o, render, seen, names)))));
    onStanding(seen.standing);
  };
  await render();
  let shown = false;
  const timer = setInterval(() => {
    if (area.isConnected) shown = true;
    if (shown && !area.isConnected) clearInterval(timer);
    else if (area.isConnected && seen.waiting) render().catch(() => {});
  }, REFRESH_MS);
  return area;
}
