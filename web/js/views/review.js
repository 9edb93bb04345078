// CET6资格复核 (R-REV): submit a CET4 ticket number, see the status, modify or delete when rejected.
import { del, post, put } from "../api.js";
import { busy, confirmDialog, field, h, messageBox, onSubmit, ticked } from "../dom.js";
import { ID_TYPES, when } from "../format.js";

const STATUS = {
  approved: ["已通过", "ok", "复核已通过，您已获得英语六级报考资格。"],
  pending: ["未复核", "wait", "系统未能自动复核。请联系学校负责老师，或按学校要求携带相关证明到学校进行人工复核。未复核的申请不能修改或取消。"],
  rejected: ["复核未通过", "bad", "人工复核未通过。您可以修改准考证号后重新提交，或删除这条申请。"],
};

/** The status as a word with a mark, never colour alone. */
export function reviewStatus(review) {
  const [word, tone] = STATUS[review.status] ?? [review.status, "wait"];
  return h("span", { class: `badge ${tone}` }, word);
}

const NOTES = [
  "请输入 2005 年（含）以后通过 CET4 笔试（425 分以上）的准考证号。",
  "忘记准考证号，或成绩为 2005 年以前的，请联系学校负责老师手动审核。",
  "复核申请与通行证账号绑定，一个账号只能有一条复核申请；一旦复核通过，将不能更改和取消。",
];

function ticketForm(ctx, { identityNeeded, submitLabel, send }) {
  const box = messageBox();
  const ticket = h("input", {
    name: "ticket_number",
    required: true,
    inputmode: "numeric",
    autocomplete: "off",
    maxlength: 20,
    value: ctx.state.demoTicket ?? "",
  });
  const identity = identityNeeded ? identityFields(ctx) : null;
  const sure = h("input", { type: "checkbox", id: "review-confirm", name: "confirm" });
  const submit = h("button", { type: "submit", class: "primary" }, submitLabel);
  const form = h(
    "form",
    { novalidate: true },
    identity?.nodes,
    field("CET4 笔试准考证号", ticket, "15 位数字，见 CET4 成绩报告单"),
    h("div", { class: "check" }, sure, h("label", { for: "review-confirm" }, "本人确认以上准考证号为本人 2005 年（含）以后通过 CET4 笔试的准考证号")),
    box,
    h("div", { class: "actions" }, submit),
  );
  onSubmit(form, submit, async () => {
    if (!ticked(box, sure)) return;
    await send(box, { ticket_number: ticket.value.trim(), ...(identity ? identity.values() : {}) });
  });
  return form;
}

/** After the registration is saved the page no longer holds the full ID number: ask again. */
function identityFields(ctx) {
  const known = ctx.state.identity ?? {};
  const candidate = ctx.me.registration?.candidate ?? {};
  const idType = h(
    "select",
    { name: "id_type", required: true },
    ID_TYPES.filter(([v]) => v !== "military_officer").map(([value, label]) =>
      h("option", { value, selected: value === (known.id_type ?? candidate.id_type) }, label),
    ),
  );
  const idNumber = h("input", { name: "id_number", required: true, autocomplete: "off", value: known.id_number ?? "" });
  const name = h("input", { name: "name", required: true, value: known.name ?? candidate.name ?? "" });
  return {
    nodes: [field("证件类型", idType), field("证件号码", idNumber), field("姓名", name)],
    values: () => ({ id_type: idType.value, id_number: idNumber.value.trim().toUpperCase(), name: name.value.trim() }),
  };
}

async function afterDecision(ctx, status) {
  const [, , text] = STATUS[status] ?? [];
  ctx.flash(text ?? "复核申请已提交。", status === "approved" ? "success" : "info");
  if (ctx.me.registration) return ctx.go("registration");
  if (!ctx.state.identity) return ctx.go("home");
  // back to the confirmation page, looked up again: CET6 is listed once approved (R-REV-3)
  ctx.state.qualification = await post("/qualification", ctx.state.identity).catch(() => null);
  return ctx.go(ctx.state.qualification ? "confirm" : "lookup");
}

/** CET6资格复核: the form, or the current review's status. */
export async function reviewView(ctx) {
  const review = ctx.me.cet6_review;
  const parts = [h("h1", {}, "CET6资格复核")];
  if (!review) {
    parts.push(
      h("ul", { class: "notes" }, NOTES.map((line) => h("li", {}, line))),
      ticketForm(ctx, {
        identityNeeded: true,
        submitLabel: "保存并提交复核",
        send: async (box, values) => {
          const made = await ctx.attempt(box, () => post("/cet6-reviews", { ...values, confirm: true }));
          if (made !== undefined) await afterDecision(ctx, made.status);
        },
      }),
    );
    return h("section", { class: "card narrow" }, parts);
  }
  const [, , explanation] = STATUS[review.status] ?? [];
  parts.push(
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "复核状态"),
      h("dd", {}, reviewStatus(review)),
      h("dt", {}, "准考证号"),
      h("dd", {}, review.ticket_number),
      h("dt", {}, "提交时间"),
      h("dd", {}, when(review.submitted_at)),
      h("dt", {}, "处理时间"),
      h("dd", {}, when(review.decided_at)),
      review.note ? [h("dt", {}, "老师备注"), h("dd", {}, review.note)] : null,
    ),
    h("p", {}, explanation),
  );
  if (review.status === "rejected") parts.push(...rejectedActions(ctx));
  parts.push(h("p", {}, h("a", { href: ctx.me.registration ? "#/registration" : "#/home" }, "返回")));
  return h("section", { class: "card narrow" }, parts);
}

function rejectedActions(ctx) {
  const box = messageBox();
  const remove = h("button", { type: "button", class: "danger" }, "删除复核申请");
  remove.addEventListener("click", () =>
    busy(remove, async () => {
      const sure = await confirmDialog({
        title: "删除复核申请",
        body: h("p", {}, "确定删除这条 CET6 资格复核申请吗？"),
        confirm: "删除",
        danger: true,
      });
      if (!sure) return;
      if ((await ctx.attempt(box, () => del("/cet6-reviews/current"))) === undefined) return;
      ctx.flash("复核申请已删除。", "info");
      ctx.go(ctx.me.registration ? "registration" : "home");
    }),
  );
  return [
    h("h2", {}, "修改后重新提交"),
    ticketForm(ctx, {
      identityNeeded: false,
      submitLabel: "修改并重新提交",
      send: async (formBox, values) => {
        const changed = await ctx.attempt(formBox, () => put("/cet6-reviews/current", { ...values, confirm: true }));
        if (changed !== undefined) await afterDecision(ctx, changed.status);
      },
    }),
    h("h2", {}, "或者删除申请"),
    box,
    h("div", { class: "actions" }, remove),
  ];
}
