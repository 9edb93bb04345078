// 准考证打印 on 报名首页 (R-TICKET-2): when printing opens and when rooms are drawn, then each ticket's
// site, room, seat and exam time with 下载准考证. Whether tickets are open is the server's answer, never
// the device's clock: a phone's clock may be wrong, and the local stack's service clock is moved.
import { ApiError, download, get } from "../api.js";
import { busy, h, messageBox, saveFile, showMessage } from "../dom.js";
import { beijing, examSpan, subjectName } from "../format.js";
import { describe } from "../messages.js";

/** GET `path` as { value } or { error } for a refusal; an expired session still goes to 登录. */
export async function read(path) {
  try {
    return { value: await get(path) };
  } catch (error) {
    if (!(error instanceof ApiError) || error.code === "UNAUTHENTICATED") throw error;
    return { error };
  }
}

const paidWritten = (registration) => (registration?.subjects ?? []).filter((s) => s.kind === "written" && s.status === "paid");

function section(...children) {
  return h("section", { class: "tickets", "aria-labelledby": "tickets-title" }, h("h2", { id: "tickets-title" }, "准考证打印"), children);
}

function failed(error) {
  return h("p", { class: "message warn" }, `准考证信息暂时无法显示：${describe(error)}`);
}

/** Before `tickets_open_at`: when printing opens, and when the rooms are (or were) drawn. */
function upcoming(plan) {
  return h(
    "div",
    { class: "message info upcoming-tickets" },
    h("p", {}, "准考证打印将于 ", h("strong", {}, beijing(plan.tickets_open_at)), " 开放，届时请在本页下载并打印准考证。"),
    plan.state === "drawn"
      ? h("p", {}, "考场和座位已随机编排完成，准考证打印开放后可在本页查看考点、考场、座位号和考试时间。")
      : h("p", {}, "考场和座位于 ", h("strong", {}, beijing(plan.plan_at)), " 起随机编排，准考证打印开放后可在本页查看考点、考场、座位号和考试时间。"),
  );
}

async function saveTicket(ticket, box) {
  const path = `/tickets/${encodeURIComponent(ticket.subject)}/pdf`;
  showMessage(box, "");
  try {
    saveFile(await download(path, "application/pdf"), `准考证-${ticket.ticket_number}.pdf`);
  } catch (error) {
    if (!(error instanceof ApiError) || error.code === "UNAUTHENTICATED") throw error;
    showMessage(box, describe(error));
  }
}

function ticketCard(ticket, box) {
  const name = ticket.subject_name ?? subjectName(ticket.subject);
  const titleId = `ticket-${ticket.subject}`;
  const room = `第 ${ticket.room} 考场${ticket.room_name ? `（${ticket.room_name}）` : ""}`;
  const facts = [
    ["准考证号", ticket.ticket_number],
    ["考点", `${ticket.campus_name}（考点代码 ${ticket.site_code}）`],
    ["考场", room],
    ["座位号", ticket.seat],
    ["考试时间", examSpan(ticket.exam_at, ticket.ends_at)],
  ];
  if (ticket.separate_room) facts.push(["考场类型", "单独考场（合理便利）"]);
  // R-TICKET-2: printed until the exam ends, as the server's clock says (never the phone's)
  if (ticket.printable === false) {
    return h(
      "article",
      { class: "ticket", "aria-labelledby": titleId },
      h("h3", { id: titleId }, name),
      h("dl", { class: "facts" }, facts.map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)])),
      h("p", { class: "hint" }, "该科目考试已结束，准考证不再提供下载。"),
    );
  }
  const button = h("button", { type: "button", class: "primary", "aria-label": `下载准考证：${name}` }, "下载准考证");
  button.addEventListener("click", () => busy(button, () => saveTicket(ticket, box)));
  return h(
    "article",
    { class: "ticket", "aria-labelledby": titleId },
    h("h3", { id: titleId }, name),
    h("dl", { class: "facts" }, facts.map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)])),
    h("div", { class: "actions" }, button),
  );
}

function ticketList(tickets, registration) {
  const box = messageBox();
  const seated = new Set(tickets.map((t) => t.subject));
  const waiting = paidWritten(registration).filter((s) => !seated.has(s.code));
  return [
    h("p", { class: "hint" }, "请用 A4 纸打印准考证，考试时携带准考证和报名所用的有效身份证件。时间均为北京时间。"),
    box,
    tickets.map((ticket) => ticketCard(ticket, box)),
    waiting.map((s) => h("p", { class: "message info" }, `${s.name}：考场尚未编排。缴费晚于考场编排的科目将在下次编排后显示，请稍后再来查看。`)),
  ];
}

/** The 准考证打印 part of 报名首页, for a student with a paid written subject; null otherwise. */
export async function ticketsSection(registration) {
  if (!paidWritten(registration).length) return null;
  const plan = await read("/room-plan");
  if (plan.error?.code === "NOT_FOUND") return null; // the province has no exam sitting
  if (plan.error) return section(failed(plan.error));
  if (plan.value.state !== "drawn") return section(upcoming(plan.value)); // no ticket before the draw
  const tickets = await read("/tickets");
  if (tickets.error?.code === "TICKETS_NOT_OPEN") return section(upcoming(plan.value));
  if (tickets.error) return section(failed(tickets.error));
  return section(ticketList(tickets.value, registration));
}
