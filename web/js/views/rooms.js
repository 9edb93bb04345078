// 考场 (R-TICKET-3, R-ROOM-1..3): the school staff's rooms with their sign-in sheets (考场签到表), and
// the room plan per site for the province administrator.
import { ApiError, download, get } from "../api.js";
import { busy, field, h, messageBox, saveFile, showMessage, tableRoles } from "../dom.js";
import { beijing, subjectName } from "../format.js";
import { describe } from "../messages.js";
import { read } from "./tickets.js";

/** When the rooms are drawn, from GET /room-plan (public): { value } or { error } as `read` gives. */
function planWhen({ value: plan, error }) {
  if (error) return h("p", { class: "hint" }, error.code === "NOT_FOUND" ? "本省尚未公布考试安排。" : `考试安排暂时无法显示：${describe(error)}`);
  if (plan.state === "drawn") return h("p", { class: "hint" }, `考场已于 ${beijing(plan.plan_at)}后编排；缴费晚于编排的科目在下次编排时补排。`);
  return h("p", { class: "hint" }, `考场和座位将于 ${beijing(plan.plan_at)} 起随机编排；准考证打印于 ${beijing(plan.tickets_open_at)} 开放。`);
}

const roomLabel = (room) => `第 ${room.room} 考场`;
/** "东川大学本部校区（考点代码 390110）"; the code alone where the page knows no campus name. */
function siteLabel(row, campusName = () => null) {
  const name = row.campus_name ?? campusName(row.campus_id);
  return name ? `${name}（考点代码 ${row.site_code}）` : `考点代码 ${row.site_code}`;
}

async function saveSheet(room, box) {
  const path = ["staff", "rooms", room.campus_id, room.subject, room.room, "sheet"].map(encodeURIComponent).join("/");
  showMessage(box, "");
  try {
    saveFile(await download(`/${path}`, "application/pdf"), `签到表-${room.site_code}-${room.subject}-${room.room}.pdf`);
  } catch (error) {
    if (!(error instanceof ApiError) || error.code === "UNAUTHENTICATED") throw error;
    showMessage(box, describe(error));
  }
}

function roomRow(room, box) {
  const who = `${siteLabel(room)} ${subjectName(room.subject)} ${roomLabel(room)}`;
  const button = h("button", { type: "button", class: "small", "aria-label": `下载签到表：${who}` }, "下载签到表");
  button.addEventListener("click", () => busy(button, () => saveSheet(room, box)));
  return h(
    "tr",
    {},
    h("th", { scope: "row" }, `${subjectName(room.subject)} ${roomLabel(room)}`),
    h("td", { "data-label": "考点" }, siteLabel(room)),
    h("td", { "data-label": "教室" }, room.room_name ?? "—"),
    h("td", { "data-label": "人数" }, `${room.seated} 人`, room.separate_room ? h("span", { class: "badge wait" }, "单独考场") : null),
    h("td", { "data-label": "签到表" }, button),
  );
}

function roomTable(rooms, box) {
  if (!rooms.length) return h("p", { class: "empty" }, "本校考点还没有已编排的考场。");
  const table = h(
    "table",
    { class: "subjects rooms" },
    h("caption", {}, `本校考场（${rooms.length} 个）`),
    h("thead", {}, h("tr", {}, ["考场", "考点", "教室", "人数", "签到表"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rooms.map((room) => roomRow(room, box))),
  );
  return h("div", { class: "table-wrap" }, tableRoles(table));
}

/** The staff page's 考场与签到表: the school's rooms, by subject, each with its sign-in sheet. */
export async function staffRoomsSection() {
  const [plan, rooms] = await Promise.all([read("/room-plan"), get("/staff/rooms")]);
  const box = messageBox();
  const list = h("div", {}, roomTable(rooms, box));
  const subjects = [...new Set(rooms.map((room) => room.subject))];
  const choice = h("select", { name: "subject" }, h("option", { value: "" }, "全部科目"), subjects.map((code) => h("option", { value: code }, subjectName(code))));
  choice.addEventListener("change", async () => {
    const asked = choice.value;
    const chosen = await read(`/staff/rooms${asked ? `?subject=${encodeURIComponent(asked)}` : ""}`);
    if (choice.value !== asked) return; // another subject was chosen meanwhile: its answer shows
    showMessage(box, chosen.error ? describe(chosen.error) : "");
    if (!chosen.error) list.replaceChildren(roomTable(chosen.value, box));
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "rooms-title" },
    h("h2", { id: "rooms-title" }, "考场与签到表"),
    planWhen(plan),
    h("p", {}, "每个考场的签到表（座位号、准考证号、姓名、部分隐去的证件号码）可下载打印，考试当天供考生签名。"),
    subjects.length > 1 ? field("科目", choice) : null,
    box,
    list,
  );
}

/** GET /admin/room-plan, and GET /room-plan (its times and seed) where the province has a sitting. */
export async function fetchRoomPlan() {
  const plan = await get("/admin/room-plan");
  return { plan, sitting: plan.state === "none" ? null : await read("/room-plan") };
}

const PLAN_STATE = { upcoming: "尚未编排", drawn: "已编排", none: "本省未设置考试安排" };

/** The administrator's 考场编排: the plan's figures and one line per site and subject; `sitting` is
 * GET /room-plan as `read` gives it (null where the province has no sitting). */
export function adminPlanFigures(plan, sitting, campusName) {
  const published = sitting?.value;
  const seated = plan.sites.filter((site) => site.seated > 0); // a site and subject nobody paid for has no room
  const parts = [
    h("p", {}, "编排状态：", h("strong", {}, PLAN_STATE[plan.state] ?? plan.state)),
    sitting ? planWhen(sitting) : null,
    h(
      "dl",
      { class: "tiles" },
      [
        ["已编排座位", `${plan.seated} 个`],
        ["考场", `${plan.rooms} 个`],
        ["考点", `${new Set(seated.map((s) => s.campus_id)).size} 个`],
      ].map(([label, value]) => h("div", { class: "tile" }, h("dt", {}, label), h("dd", {}, value))),
    ),
  ];
  if (published?.seed_sha256) {
    parts.push(
      h(
        "details",
        { class: "seed" },
        h("summary", {}, "编排种子（供公开核对）"),
        h("p", {}, "种子的 SHA-256：", h("code", {}, published.seed_sha256)),
        h("p", {}, "种子：", published.seed ? h("code", {}, published.seed) : "编排后公布"),
      ),
    );
  }
  if (!seated.length) {
    parts.push(h("p", { class: "empty" }, plan.state === "drawn" ? "还没有已编排的考场。" : "编排后在此显示各考点的考场数。"));
    return parts;
  }
  const rows = seated.map((site) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, `${siteLabel(site, campusName)} · ${subjectName(site.subject)}`),
      h("td", { "data-label": "已编排人数" }, `${site.seated} 人`),
      h("td", { "data-label": "考场数" }, `${site.rooms} 个`),
      h("td", { "data-label": "未坐满的考场" }, `${site.partial_rooms} 个`),
    ),
  );
  const table = h(
    "table",
    { class: "subjects plan-sites" },
    h("caption", {}, `各考点考场编排（${seated.length} 个考点科目）`),
    h("thead", {}, h("tr", {}, ["考点 · 科目", "已编排人数", "考场数", "未坐满的考场"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows),
  );
  parts.push(h("div", { class: "table-wrap" }, tableRoles(table)));
  const empty = plan.sites.length - seated.length;
  if (empty) parts.push(h("p", { class: "hint" }, `另有 ${empty} 个考点科目没有考生，不设考场。`));
  return parts;
}
