// 报名首页 (R-PAY-4): what the student has, what is left to do, and the time left to pay (a seat from the
// waiting list with its own deadline, R-WAIT-2); once a subject is paid, its exam time and what comes next
// (exam_schedule.js), and 准考证打印 (R-TICKET-2, tickets.js).
import { get } from "../api.js";
import { h } from "../dom.js";
import { period, startCountdowns, when, yuan } from "../format.js";
import { examSchedule } from "./exam_schedule.js";
import { openOrderPanel, settleReturn } from "./payment.js";
import { reviewStatus } from "./review.js";
import { subjectTable } from "./subjects.js";
import { ticketsSection } from "./tickets.js";
import { offeredNotes } from "./waitlist.js";

function nextStep(me) {
  if (!me.agreement_accepted) return ["开始报名", "#/agreement"];
  return ["开始报名", "#/lookup"];
}

export async function homeView(ctx) {
  if (await settleReturn(ctx)) ctx.me = await get("/me");
  const me = ctx.me;
  const registration = me.registration;
  const parts = [h("h1", {}, "报名首页")];
  // R-DATE-1: the school's window, once a candidate is looked up or bound
  if (me.window) parts.push(h("p", { class: "window" }, "本校网上报名时间：", h("strong", {}, period(me.window.opens_at, me.window.closes_at))));
  if (!registration) {
    const [label, href] = nextStep(me);
    parts.push(
      h("p", {}, "您还没有保存报名信息。报名流程：阅读报名协议 → 查询并确认资格信息 → 保存报名信息 → 选择笔试、口试科目 → 24 小时内缴费。"),
      h("div", { class: "actions" }, h("a", { class: "button primary", href }, label)),
    );
  } else {
    const unpaid = registration.subjects.filter((s) => s.status === "unpaid");
    const paidAll = registration.subjects.length > 0 && !unpaid.length;
    // R-WAIT-2: a seat from the waiting list is held 2 hours, not 24: its own deadline, on top
    const offers = offeredNotes(registration);
    const offerBanner = offers.length ? h("div", { class: "offers", "aria-live": "polite" }, offers) : null;
    if (offerBanner) startCountdowns(offerBanner);
    parts.push(
      h("p", { class: "who" }, `${registration.candidate.name}（${registration.candidate.school}）`),
      offerBanner,
      paidAll ? h("p", { class: "message success" }, "报名完成：所有已报考科目均已缴费。") : null,
      await examSchedule(registration),
      await ticketsSection(registration),
      !registration.subjects.length
        ? h("p", { class: "message warn" }, `您还没有报考任何科目。如到 ${when(registration.expires_at)} 仍未报考，报名信息将被自动删除。`)
        : null,
      subjectTable(registration),
      unpaid.length ? h("p", { class: "due" }, "待缴费：", h("strong", {}, yuan(registration.amount_due))) : null,
    );
    if (me.open_order_id) {
      const order = await get(`/orders/${encodeURIComponent(me.open_order_id)}`);
      parts.push(openOrderPanel(ctx, order));
    }
    parts.push(
      h(
        "div",
        { class: "actions" },
        h("a", { class: `button${paidAll ? "" : " primary"}`, href: "#/registration" }, "查看报名信息"),
        unpaid.length && !me.open_order_id ? h("a", { class: "button", href: "#/pay" }, "去支付") : null,
      ),
    );
  }
  parts.push(h("p", {}, h("a", { href: "#/orders" }, "缴费记录"), "：查看全部订单，下载缴费凭证。"));
  if (me.cet6_review) parts.push(h("p", {}, "CET6 资格复核：", reviewStatus(me.cet6_review), " ", h("a", { href: "#/review", "aria-label": "查看 CET6 资格复核" }, "查看")));
  return h("section", { class: "card" }, parts);
}
