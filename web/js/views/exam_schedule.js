// 考试安排 after payment (R-DATE-1, R-TICKET-2): on 报名首页 and 报名信息, each paid subject's exam date
// and time, and what comes next (准考证 from `tickets_open_at`), all in 北京时间. The exam time is the
// one GET /subjects gives (`exam_at`); the printing date is GET /room-plan's `tickets_open_at`.
import { h } from "../dom.js";
import { beijing } from "../format.js";
import { read } from "./tickets.js";

const paidOf = (registration) => (registration?.subjects ?? []).filter((s) => s.status === "paid");

function examLine(subject, examAt) {
  const kind = subject.kind === "oral" ? `口试 · ${subject.campus ?? ""}` : "笔试";
  return h(
    "li",
    {},
    h("strong", {}, subject.name),
    h("small", {}, `（${kind}）`),
    "：",
    examAt ? h("span", { class: "exam-time" }, `${beijing(examAt)} 开考`) : "考试时间待省考试院公布",
  );
}

function nextSteps(paid, ticketsOpenAt) {
  const written = paid.some((s) => s.kind === "written");
  const oral = paid.some((s) => s.kind === "oral");
  const lines = [];
  if (written && ticketsOpenAt) {
    lines.push(h("li", {}, "笔试准考证自 ", h("strong", {}, beijing(ticketsOpenAt)), " 起在报名首页“准考证打印”处下载，请用 A4 纸打印。"));
  } else if (written) {
    lines.push(h("li", {}, "笔试准考证的打印时间将另行公布，届时在报名首页“准考证打印”处下载。"));
  }
  if (oral) lines.push(h("li", {}, "口试请按所选校区的通知按时参加。"));
  lines.push(h("li", {}, "考试时携带准考证和报名所用的有效身份证件。"));
  return h("ul", { class: "next-steps" }, lines);
}

/** The 考试安排 section for a registration with a paid subject; null when nothing is paid yet. */
export async function examSchedule(registration) {
  const paid = paidOf(registration);
  if (!paid.length) return null;
  const [subjects, plan] = await Promise.all([read("/subjects"), read("/room-plan")]);
  const examAt = new Map((subjects.value ?? []).map((s) => [s.code, s.exam_at]));
  const ticketsOpenAt = plan.value?.tickets_open_at ?? null;
  return h(
    "section",
    { class: "exam-schedule", "aria-labelledby": "exam-schedule-title" },
    h("h2", { id: "exam-schedule-title" }, "考试安排"),
    h("p", { class: "hint" }, "已缴费科目的考试时间（北京时间）："),
    h("ul", { class: "exams" }, paid.map((s) => examLine(s, examAt.get(s.code)))),
    h("h3", {}, "接下来"),
    nextSteps(paid, ticketsOpenAt),
  );
}

/** 报名信息 (subjects.js) with 考试安排 above its buttons, once a subject is paid. */
export function withExamSchedule(view) {
  return async (ctx) => {
    const node = await view(ctx);
    if (!(node instanceof Node)) return node;
    const schedule = await examSchedule(ctx.me?.registration);
    if (!schedule) return node;
    const actions = node.querySelector(":scope > .actions");
    if (actions) actions.before(schedule);
    else node.append(schedule);
    return node;
  };
}
