// 缴费记录 (R-PAY-6): every order the account placed, its number (the only one the student sees,
// R-PAY-7), and the receipt of a paid one. On a phone each order is a card (style.css), 下载凭证 in view.
import { download, get } from "../api.js";
import { busy, h, messageBox, saveFile, tableRoles } from "../dom.js";
import { when, yuan } from "../format.js";
import { ORDER_STATUS } from "./payment.js";

/** The PDF through a blob URL: the token travels in the Authorization header only. */
async function saveReceipt(ctx, order, box) {
  const blob = await ctx.attempt(box, () => download(`/orders/${encodeURIComponent(order.order_id)}/receipt`, "application/pdf"));
  if (blob !== undefined) saveFile(blob, `缴费凭证-${order.number}.pdf`);
}

function subjects(order) {
  return order.subjects.map((s) => `${s.name}${s.campus ? `（${s.campus}）` : ""}`).join("、");
}

function row(ctx, order, box) {
  const action =
    order.status === "paid"
      ? h("button", { type: "button", class: "small", "aria-label": `下载凭证（订单号 ${order.number}）` }, "下载凭证")
      : null;
  action?.addEventListener("click", (event) => busy(event.currentTarget, () => saveReceipt(ctx, order, box)));
  return h(
    "tr",
    {},
    h("th", { scope: "row", "data-label": "订单号" }, order.number ?? "—"),
    h("td", { "data-label": "状态" }, ORDER_STATUS[order.status] ?? order.status),
    h("td", { "data-label": "金额" }, yuan(order.amount)),
    h("td", { "data-label": "科目" }, subjects(order)),
    h("td", { "data-label": "下单时间" }, when(order.created_at)),
    h("td", { "data-label": "支付时间" }, when(order.paid_at)),
    h("td", { "data-label": "缴费凭证" }, action ?? "—"),
  );
}

export async function ordersView(ctx) {
  const orders = await get("/orders");
  const box = messageBox();
  const parts = [h("h1", {}, "缴费记录"), h("p", { class: "hint" }, "时间均为北京时间。咨询缴费问题时，请向客服提供订单号。"), box];
  if (!orders.length) parts.push(h("p", { class: "empty" }, "还没有订单。"));
  else {
    const table = h(
      "table",
      { class: "subjects orders" },
      h("caption", {}, "全部订单（从新到旧）"),
      h("thead", {}, h("tr", {}, ["订单号", "状态", "金额", "科目", "下单时间", "支付时间", "缴费凭证"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, orders.map((order) => row(ctx, order, box))),
    );
    parts.push(h("div", { class: "table-wrap" }, tableRoles(table)));
  }
  parts.push(h("div", { class: "actions" }, h("a", { class: "button", href: "#/home" }, "返回报名首页")));
  return h("section", { class: "card" }, parts);
}
