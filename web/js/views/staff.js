// 学校负责老师: CET6 reviews of the school (R-REV-3 ②), pending and decided, late payments (R-PAY-5),
// and the school's exam rooms with their sign-in sheets (R-TICKET-3, rooms.js).
import { get, post } from "../api.js";
import { busy, confirmDialog, h, messageBox, showMessage, tableRoles } from "../dom.js";
import { when, yuan } from "../format.js";
import { staffRoomsSection } from "./rooms.js";

const LATE = { re_reserved: "已重新保留科目", refunded: "已原路退款", refund_pending: "退款处理中" };
const DECIDED = { approved: "已通过", rejected: "未通过" };

/** The CET4 score record the ticket names, beside the candidate: masked ID only (decision 0013). */
function scoreRecord(record) {
  if (!record) return h("span", { class: "empty" }, "未找到该准考证号的成绩记录");
  return h(
    "span",
    { class: "score-record" },
    `${record.name}，${record.id_number}`,
    h("br"),
    h("small", {}, `${record.year} 年，总分 ${record.score}`),
  );
}

/** Approval is final (R-REV-4): the staff member says so once more; 取消 leaves the review pending, and
 * holds the focus when the dialog opens, so Enter alone never approves. */
function confirmDecision(review, approve, note) {
  const name = review.candidate.name;
  return confirmDialog({
    title: approve ? "确认通过复核" : "确认不通过",
    body: approve
      ? [
          h("p", {}, `通过后，${name}（${review.ticket_number}）将获得英语六级（CET6）报考资格。`),
          h("p", { class: "message warn" }, "复核一经通过即为最终决定，不能撤销或修改。"),
        ]
      : [
          h("p", {}, `${name}（${review.ticket_number}）的复核申请将不予通过，考生可修改后重新提交或删除申请。`),
          h("p", {}, `备注：${note}`),
        ],
    confirm: approve ? "确认通过" : "确认不通过",
    cancel: "取消",
    danger: !approve,
    irreversible: approve,
  });
}

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
      if (!(await confirmDecision(review, approve, note.value.trim()))) return;
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
    h("td", { "data-label": "CET4 成绩记录" }, scoreRecord(review.cet4_record)),
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

function reviewTable(caption, headings, rows) {
  return h(
    "div",
    { class: "table-wrap" },
    tableRoles(
      h(
        "table",
        { class: "subjects" },
        h("caption", {}, caption),
        h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows),
      ),
    ),
  );
}

/** Reviews already decided, newest decision first: what was approved or rejected, when, and why. */
function decidedTable(decided) {
  if (!decided.length) return h("p", { class: "empty" }, "还没有已处理的申请。");
  const rows = decided.map((review) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, review.candidate.name),
      h("td", { "data-label": "证件号码" }, review.candidate.id_number),
      h("td", { "data-label": "准考证号" }, review.ticket_number),
      h("td", { "data-label": "结果" }, h("span", { class: `badge ${review.status === "approved" ? "ok" : "bad"}` }, DECIDED[review.status] ?? review.status)),
      h("td", { "data-label": "处理时间" }, when(review.decided_at)),
      h("td", { "data-label": "备注" }, review.note || "—"),
    ),
  );
  return reviewTable(`已处理的申请（${decided.length} 条）`, ["姓名", "证件号码", "准考证号", "结果", "处理时间", "备注"], rows);
}

export async function staffView(ctx) {
  const [pending, approved, rejected, late, rooms] = await Promise.all([
    get("/staff/cet6-reviews?status=pending"),
    get("/staff/cet6-reviews?status=approved"),
    get("/staff/cet6-reviews?status=rejected"),
    get("/staff/late-payments"),
    staffRoomsSection(),
  ]);
  const decided = [...approved, ...rejected].sort((a, b) => Date.parse(b.decided_at) - Date.parse(a.decided_at));
  const box = messageBox();
  const headings = ["姓名", "证件号码", "准考证号", "CET4 成绩记录", "提交时间", "处理"];
  const reviews = pending.length
    ? reviewTable(`待人工复核的申请（${pending.length} 条）`, headings, pending.map((review) => reviewRow(ctx, review, box)))
    : h("p", { class: "empty" }, "目前没有待复核的申请。");
  const lateList = late.length
    ? h("ul", {}, late.map((l) => h("li", {}, `${when(l.recorded_at)} ${l.candidate.name}（${l.candidate.id_number}）订单号 ${l.number ?? l.order_id}，${yuan(l.amount)}：${LATE[l.outcome] ?? l.outcome}`)))
    : h("p", { class: "empty" }, "没有逾期到账的缴费。");
  const reviewCard = h(
    "section",
    { class: "card" },
    h("h1", {}, "CET6资格复核（学校负责老师）"),
    h("p", {}, "以下考生的准考证号与姓名对应通过的 CET4 成绩，但证件号码不一致。请对照成绩记录，核对考生提供的证明后作出决定；通过后不能撤销。"),
    box,
    reviews,
    h("h2", {}, "已处理的复核申请"),
    decidedTable(decided),
    h("h2", {}, "逾期到账的缴费"),
    h("p", { class: "hint" }, "科目过期后才到账的付款：考位仍空闲则重新保留，否则自动原路退款。"),
    lateList,
  );
  return h("div", {}, reviewCard, rooms);
}
