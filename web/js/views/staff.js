// 学校负责老师: pending CET6 reviews of the school (R-REV-3 ②), and late payments (R-PAY-5).
import { get, post } from "../api.js";
import { busy, h, messageBox, showMessage, tableRoles } from "../dom.js";
import { when, yuan } from "../format.js";

const LATE = { re_reserved: "已重新保留科目", refunded: "已原路退款", refund_pending: "退款处理中" };

function reviewRow(ctx, review, box) {
  const who = `${review.candidate.name}（${review.ticket_number}）`;
  const note = h("input", { name: "note", maxlength: 200, id: `note-${review.review_id}`, "aria-label": `备注：${who}` });
  const decide = (approve, button) =>
    busy(button, async () => {
      if (!approve && !note.value.trim()) {
        showMessage(box, "不通过时请填写备注，说明原因，方便考生修改。");
        note.focus();
        return;
      }
      const done = await ctx.attempt(box, () =>
        post(`/staff/cet6-reviews/${encodeURIComponent(review.review_id)}/decision`, { approve, note: note.value.trim() }),
      );
      if (done === undefined) return;
      ctx.flash(`已${approve ? "通过" : "驳回"} ${review.candidate.name} 的复核申请。`, "success");
      ctx.reload();
    });

  return h(
    "tr",
    {},
    h("th", { scope: "row" }, review.candidate.name),
    h("td", { "data-label": "证件号码" }, review.candidate.id_number),
    h("td", { "data-label": "准考证号" }, review.ticket_number),
    h("td", { "data-label": "提交时间" }, when(review.submitted_at)),
    h(
      "td",
      { "data-label": "处理" },
      h("label", { for: note.id }, "备注"),
      note,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "primary small", "aria-label": `通过 ${who}`, onclick: (e) => decide(true, e.currentTarget) }, "通过"),
        h("button", { type: "button", class: "danger small", "aria-label": `不通过 ${who}`, onclick: (e) => decide(false, e.currentTarget) }, "不通过"),
      ),
    ),
  );
}

export async function staffView(ctx) {
  const [pending, late] = await Promise.all([get("/staff/cet6-reviews?status=pending"), get("/staff/late-payments")]);
  const box = messageBox();
  const reviews = pending.length
    ? h(
        "div",
        { class: "table-wrap" },
        tableRoles(
          h(
            "table",
            { class: "subjects" },
          h("caption", {}, `待人工复核的申请（${pending.length} 条）`),
          h("thead", {}, h("tr", {}, ["姓名", "证件号码", "准考证号", "提交时间", "处理"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, pending.map((review) => reviewRow(ctx, review, box))),
          ),
        ),
      )
    : h("p", { class: "empty" }, "目前没有待复核的申请。");
  const lateList = late.length
    ? h("ul", {}, late.map((l) => h("li", {}, `${when(l.recorded_at)} ${l.candidate.name}（${l.candidate.id_number}）订单 ${l.order_id}，${yuan(l.amount)}：${LATE[l.outcome] ?? l.outcome}`)))
    : h("p", { class: "empty" }, "没有逾期到账的缴费。");
  return h(
    "section",
    { class: "card" },
    h("h1", {}, "CET6资格复核（学校负责老师）"),
    h("p", {}, "以下考生的准考证号与姓名对应通过的 CET4 成绩，但证件号码不一致。请核对考生提供的证明后作出决定。"),
    box,
    reviews,
    h("h2", {}, "逾期到账的缴费"),
    h("p", { class: "hint" }, "科目过期后才到账的付款：考位仍空闲则重新保留，否则自动原路退款。"),
    lateList,
  );
}
