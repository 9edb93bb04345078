// 缴费 (R-PAY): the order, confirmed twice, the payment platform, and 更新 on the way back. The student
// sees the order's `number` only (R-PAY-7); `order_id` stays in URLs and API calls.
import { ApiError, get, post } from "../api.js";
import { busy, confirmDialog, field, h, messageBox, onSubmit, showMessage } from "../dom.js";
import { beijing, when, yuan } from "../format.js";
import { describe } from "../messages.js";

const PAYING_KEY = "cet.paying";
const BANKS = [
  ["ICBC", "中国工商银行"],
  ["CCB", "中国建设银行"],
  ["ABC", "中国农业银行"],
  ["BOC", "中国银行"],
  ["CMB", "招商银行"],
  ["BOCOM", "交通银行"],
  ["PSBC", "中国邮政储蓄银行"],
];
export const ORDER_STATUS = { open: "待支付", paid: "已支付", closed: "已关闭", refunded: "已退款" };

function summary(subjects, amount) {
  return [
    h("ul", {}, subjects.map((s) => h("li", {}, `${s.name}（${s.code}）${s.campus ? ` · ${s.campus}` : ""}：${yuan(s.fee)}`))),
    h("p", {}, "合计：", h("strong", {}, yuan(amount))),
  ];
}

function leaveFor(order) {
  sessionStorage.setItem(PAYING_KEY, order.order_id);
  window.location.assign(order.pay_url);
}

/** 支付: unpaid subjects, the platform, two confirmations, then off to pay. */
export async function payView(ctx) {
  const registration = ctx.me.registration;
  if (!registration) return ctx.redirect("home");
  if (ctx.me.open_order_id) return ctx.redirect("home");
  const unpaid = registration.subjects.filter((s) => s.status === "unpaid");
  if (!unpaid.length) return ctx.redirect("registration");
  const box = messageBox();
  const alipay = h("input", { type: "radio", name: "provider", value: "alipay", id: "pay-alipay", checked: true });
  const bank = h("input", { type: "radio", name: "provider", value: "bank", id: "pay-bank" });
  const bankSelect = h("select", { name: "bank" }, BANKS.map(([code, name]) => h("option", { value: code }, name)));
  const bankField = field("支付银行", bankSelect);
  bankField.hidden = true;
  for (const radio of [alipay, bank]) radio.addEventListener("change", () => (bankField.hidden = !bank.checked));
  const submit = h("button", { type: "submit", class: "primary" }, "去支付");
  const earliest = unpaid.map((s) => s.pay_by).sort()[0];
  const form = h(
    "form",
    { novalidate: true },
    h(
      "fieldset",
      {},
      h("legend", {}, "选择支付方式"),
      h("div", { class: "option" }, alipay, h("label", { for: "pay-alipay" }, "支付宝")),
      h("div", { class: "option" }, bank, h("label", { for: "pay-bank" }, "首信易支付（网上银行）")),
      bankField,
    ),
    box,
    h("div", { class: "actions" }, submit, h("a", { class: "button", href: "#/registration" }, "返回报名信息")),
  );
  onSubmit(form, submit, async () => {
    const first = await confirmDialog({
      title: "确认报考信息",
      body: [h("p", {}, "请确认以下报考科目与金额："), ...summary(unpaid, registration.amount_due)],
      confirm: "确认无误",
      cancel: "返回修改",
    });
    if (!first) return;
    const second = await confirmDialog({
      title: "再次确认",
      body: h("p", {}, "缴费后科目不能更改或取消。确定前往支付平台缴费吗？"),
      confirm: "确定",
      cancel: "取消",
    });
    if (!second) return;
    const chosen = bank.checked ? { provider: "bank", bank: bankSelect.value } : { provider: "alipay" };
    try {
      leaveFor(await post("/orders", chosen));
    } catch (error) {
      if (!(error instanceof ApiError) || error.code === "UNAUTHENTICATED") throw error;
      if (error.code !== "ORDER_OPEN") return showMessage(box, describe(error));
      ctx.flash(describe(error), "warn");
      ctx.go("home"); // where the open order is, with 继续支付 and 更新
    }
  });
  return h(
    "section",
    { class: "card" },
    h("h1", {}, "缴费"),
    h("h2", {}, "待缴费科目"),
    summary(unpaid, registration.amount_due),
    h("p", { class: "message warn" }, `请在 ${beijing(earliest)}前完成缴费，逾期未缴费的科目将被自动删除。`),
    form,
  );
}

/** An open order on the home page: 继续支付, or 更新 when the bank charged but the page says unpaid. */
export function openOrderPanel(ctx, order) {
  const box = messageBox();
  const refresh = h("button", { type: "button" }, "更新");
  refresh.addEventListener("click", () =>
    busy(refresh, async () => {
      const asked = await ctx.attempt(box, () => post(`/orders/${encodeURIComponent(order.order_id)}/refresh`));
      if (asked === undefined) return;
      if (asked.status === "paid") ctx.flash("缴费成功：支付平台已确认收款。", "success");
      else if (asked.status === "open") ctx.flash("支付平台尚未收到这笔付款。如已扣款，请稍后再点“更新”，不要重复付款。", "info");
      else ctx.flash(`订单${ORDER_STATUS[asked.status] ?? asked.status}。`, "info");
      ctx.reload();
    }),
  );
  return h(
    "section",
    { class: "order", "aria-label": "未完成的订单" },
    h("h2", {}, "未完成的订单"),
    h("p", {}, `订单号 ${order.number}，金额 ${yuan(order.amount)}，状态：${ORDER_STATUS[order.status] ?? order.status}，请于 ${when(order.expires_at)} 前完成支付。`),
    h("p", { class: "hint" }, "如银行已扣款但仍显示未缴费，请点击“更新”查询支付结果，不要重复付款。"),
    box,
    h(
      "div",
      { class: "actions" },
      h("a", { class: "button primary", href: order.pay_url, onclick: () => sessionStorage.setItem(PAYING_KEY, order.order_id) }, "继续支付"),
      refresh,
    ),
  );
}

/** Back from the payment platform: wait a little for its notification before showing the state. */
export async function settleReturn(ctx) {
  const orderId = sessionStorage.getItem(PAYING_KEY);
  if (!orderId) return null;
  sessionStorage.removeItem(PAYING_KEY);
  let order = null;
  const heading = document.querySelector("main h1");
  if (heading) heading.textContent = "正在确认支付结果……";
  for (let attempt = 0; attempt < 5; attempt += 1) {
    order = await get(`/orders/${encodeURIComponent(orderId)}`).catch(() => null);
    if (!order || order.status !== "open") break;
    await new Promise((resolve) => setTimeout(resolve, 600));
  }
  if (order?.status === "paid") ctx.flash(`缴费成功：订单号 ${order.number}，已支付 ${yuan(order.amount)}。`, "success");
  else if (order?.status === "open") ctx.flash(`还没有收到订单 ${order.number} 的支付结果。如已付款，请稍后点击“更新”查询；如未付款，请点击“继续支付”。`, "info");
  return order;
}
