// 开始报名: the agreement (R-QUAL-1), the qualification lookup (R-QUAL-2/3) and saving (R-BIND-1).
import { post, siteConfig } from "../api.js";
import { confirmDialog, field, h, messageBox, onSubmit, ticked } from "../dom.js";
import { ID_TYPES, idTypeName, period, subjectName } from "../format.js";
import { describe } from "../messages.js";
import { reviewStatus } from "./review.js";

const AGREEMENT = [
  "一、考生应如实填写、核对本人的证件信息与学籍信息，因信息错误造成的后果由考生本人承担。",
  "二、一个通行证账号只能绑定一名考生的报名信息；一名考生的报名信息只能绑定到一个通行证账号。",
  "三、报名信息保存后，学籍库信息的修改不会影响已保存的报名信息，保存前请务必核对。",
  "四、同一级别只能报考一个科目（如英语四级与日语四级不能同时报考）；口试须先报考同级别的英语笔试。",
  "五、报考的科目须在报考后 24 小时内完成缴费；候补递补的口试考位须在页面所示时限（至多 2 小时）内缴费。逾期未缴费的科目将被系统自动删除，口试考位随之释放。",
  "六、已缴费的科目不能更改或取消；如银行已扣款但仍显示未缴费，请点击“更新”查询，不要重复缴费。重复缴费将按原路退回。",
  "七、考生须遵守考试纪律。有违纪作弊行为的，按《国家教育考试违规处理办法》处理。",
];

/** 报名协议 */
export async function agreementView(ctx) {
  if (ctx.me.registration) return ctx.redirect("registration");
  const box = messageBox();
  // R-QUAL-1: read before accepted: the box can be ticked once the text is scrolled to its end
  const accept = h("input", { type: "checkbox", name: "accept", id: "accept-agreement", disabled: true, "aria-describedby": "agreement-hint" });
  const hint = h("p", { class: "hint", id: "agreement-hint" }, "请先阅读协议全文（滚动到末尾），然后才能勾选同意。");
  const text = h("div", { class: "agreement", role: "region", tabindex: 0, "aria-label": "报名协议全文" }, AGREEMENT.map((line) => h("p", {}, line)));
  const readToEnd = () => {
    if (!text.isConnected || text.scrollHeight === 0 || text.scrollTop + text.clientHeight < text.scrollHeight - 4) return;
    accept.disabled = false;
    hint.textContent = "您已阅读到协议末尾，可以勾选同意。";
  };
  text.addEventListener("scroll", readToEnd);
  new ResizeObserver(readToEnd).observe(text); // laid out, or turned: a text that fits needs no scrolling
  const submit = h("button", { type: "submit", class: "primary" }, "同意");
  const form = h(
    "form",
    { novalidate: true },
    h("div", { class: "check" }, accept, h("label", { for: "accept-agreement" }, "我已阅读并同意以上报名协议")),
    hint,
    box,
    h("div", { class: "actions" }, submit, h("a", { class: "button", href: "#/home" }, "返回")),
  );
  onSubmit(form, submit, async () => {
    if (!ticked(box, accept)) return;
    if ((await ctx.attempt(box, () => post("/me/agreement", { accepted: true }))) === undefined) return;
    ctx.go("lookup");
  });
  return h(
    "section",
    { class: "card" },
    h("h1", {}, "报名协议"),
    text,
    form,
  );
}

/** 资格信息查询: ID type (军官证 refused), ID number, name. */
export async function lookupView(ctx) {
  if (ctx.me.registration) return ctx.redirect("registration");
  if (!ctx.me.agreement_accepted) return ctx.redirect("agreement");
  const box = messageBox();
  const previous = ctx.state.identity ?? {};
  const idType = h(
    "select",
    { name: "id_type", required: true },
    ID_TYPES.map(([value, label]) => h("option", { value, selected: value === (previous.id_type ?? "resident_id") }, label)),
  );
  const idNumber = h("input", {
    name: "id_number",
    required: true,
    autocomplete: "off",
    spellcheck: "false",
    maxlength: 32,
    value: previous.id_number ?? "",
  });
  const name = h("input", { name: "name", required: true, autocomplete: "name", maxlength: 64, value: previous.name ?? "" });
  const submit = h("button", { type: "submit", class: "primary" }, "查询");
  const form = h(
    "form",
    { novalidate: true },
    field("证件类型", idType, "不支持军官证"),
    field("证件号码", idNumber, "居民身份证为 18 位，最后一位如为 X 请输入 X"),
    field("姓名", name),
    box,
    h("div", { class: "actions" }, submit),
  );
  onSubmit(form, submit, async () => {
    const identity = { id_type: idType.value, id_number: idNumber.value.trim().toUpperCase(), name: name.value.trim() };
    const found = await ctx.attempt(box, () => post("/qualification", identity));
    if (found === undefined) return;
    ctx.state.identity = identity;
    ctx.state.qualification = found;
    ctx.go("confirm");
  });
  const fill = (student) => {
    idType.value = student.id_type;
    idNumber.value = student.id_number;
    name.value = student.name;
    ctx.state.demoTicket = student.ticket_number;
    submit.focus();
  };
  return h(
    "section",
    { class: "card narrow" },
    h("h1", {}, "资格信息查询"),
    h("p", {}, "请输入三项必填信息，系统将在学籍库中查询您的报考资格。"),
    form,
    demoStudents(fill),
  );
}

/** Only the local demo stack's config.json lists these: the demo province's identities. */
function demoStudents(fill) {
  const students = siteConfig.demo?.students;
  if (!students?.length) return null;
  return h(
    "details",
    { class: "demo" },
    h("summary", {}, "示例考生（仅本地演示站点）"),
    h(
      "ul",
      {},
      students.map((student) =>
        h(
          "li",
          {},
          h("strong", {}, student.title),
          `：${student.name} ${student.id_number}`,
          student.ticket_number ? `，准考证号 ${student.ticket_number}` : "",
          h("br"),
          h("small", {}, student.expect),
          " ",
          h("button", { type: "button", class: "small", "aria-label": `填入${student.title}`, onclick: () => fill(student) }, "填入"),
        ),
      ),
    ),
  );
}

function rollData(candidate) {
  const rows = [
    ["姓名", candidate.name],
    ["证件类型", idTypeName(candidate.id_type)],
    ["证件号码", candidate.id_number],
    ["学校", candidate.school],
    ["笔试校区", candidate.campus],
    ["学号", candidate.student_no],
  ];
  return h("dl", { class: "facts" }, rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

/** 资格信息确认: roll data, qualified subjects, CET6 review, then 保存并继续. */
export async function confirmView(ctx) {
  if (ctx.me.registration) return ctx.redirect("registration");
  const found = ctx.state.qualification;
  if (!found || !ctx.state.identity) return ctx.redirect("lookup");
  const box = messageBox();
  const checked = h("input", { type: "checkbox", id: "confirm-data", name: "confirm" });
  const save = h("button", { type: "submit", class: "primary" }, "保存并继续");
  const form = h(
    "form",
    { novalidate: true },
    h("div", { class: "check" }, checked, h("label", { for: "confirm-data" }, "我已核对以上学籍信息与资格信息，确认无误")),
    box,
    h("div", { class: "actions" }, save, h("a", { class: "button", href: "#/lookup" }, "重新查询")),
  );
  onSubmit(form, save, async () => {
    if (!ticked(box, checked)) return;
    const sure = await confirmDialog({
      title: "保存报名信息",
      body: [
        h("p", {}, "保存后，报名信息将与当前通行证账号绑定，不能更改："),
        h("ul", {}, [
          h("li", {}, "学籍库信息以后的修改不会影响已保存的报名信息；"),
          h("li", {}, "一个通行证账号只能绑定一名考生，一名考生只能绑定一个账号；"),
          h("li", {}, "保存 24 小时后如仍未报考任何科目，报名信息将被自动删除。"),
        ]),
      ],
      confirm: "确定保存",
      cancel: "再检查一下",
    });
    if (!sure) return;
    const saved = await ctx.attempt(box, () => post("/registration", { ...ctx.state.identity, confirm: true }));
    if (saved === undefined) return;
    ctx.state.qualification = null;
    ctx.flash("保存成功：报名信息已与您的通行证账号绑定。请选择笔试科目。", "success");
    ctx.go("written");
  });
  const review = found.cet6_review;
  const reviewPart = review
    ? h("p", {}, "CET6 资格复核：", reviewStatus(review), " ", h("a", { href: "#/review" }, "查看复核"))
    : found.cet6_review_offered
      ? h(
          "p",
          {},
          "您的可报考科目中没有英语六级。如果您在 2005 年（含）以后的 CET4 笔试中达到 425 分，可以申请：",
          h("a", { class: "button", href: "#/review" }, "CET6资格复核"),
        )
      : null;
  return h(
    "section",
    { class: "card" },
    h("h1", {}, "资格信息确认"),
    h("h2", {}, "学籍信息"),
    rollData(found.candidate),
    h("h2", {}, "资格信息"),
    h("p", {}, "可报考的笔试科目："),
    h("ul", { class: "chips" }, found.qualified_subjects.map((code) => h("li", {}, subjectName(code)))),
    reviewPart,
    h("h2", {}, "保存报名信息"),
    h(
      "p",
      {},
      ctx.me.window
        ? `请在本校网上报名时间（${period(ctx.me.window.opens_at, ctx.me.window.closes_at)}）内，核对无误后保存。`
        : "请在本校网上报名时间内，核对无误后保存。",
    ),
    form,
  );
}

export { rollData };
