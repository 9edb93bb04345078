// 报名信息, 笔试报考 (R-WRIT) and 口试报考 (R-ORAL): the chosen subjects and how to add more.
import { del, get, post } from "../api.js";
import { busy, confirmDialog, h, messageBox, onSubmit, showMessage, tableRoles, ticked } from "../dom.js";
import { beijing, opensOn, startCountdowns, subjectName, when, yuan } from "../format.js";
import { describe } from "../messages.js";
import { gatedCampuses, notAdmittedText, queuePanel } from "./waiting_room.js";
import { reviewStatus } from "./review.js";
import { joinButton, joinedText, offeredNotes, waitlistPanel } from "./waitlist.js";

const KIND = { written: "笔试", oral: "口试" };

function statusCell(subject) {
  if (subject.status === "paid") return h("span", { class: "badge ok" }, "已缴费");
  return h(
    "span",
    {},
    h("span", { class: "badge wait" }, "未缴费"),
    h("br"),
    h("small", {}, `请于 ${beijing(subject.pay_by)}前缴费`),
    h("br"),
    h("small", { class: "countdown", dataset: { deadline: subject.pay_by } }),
  );
}

/** The chosen subjects as a table; with `onRemove`, unpaid ones get a 删除 button. */
export function subjectTable(registration, onRemove = null) {
  if (!registration.subjects.length) return h("p", { class: "empty" }, "还没有报考任何科目。");
  const rows = registration.subjects.map((subject) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, subject.name, h("br"), h("small", {}, subject.code)),
      h("td", { "data-label": "类型" }, KIND[subject.kind] ?? subject.kind),
      h("td", { "data-label": "口试校区" }, subject.campus ?? "—"),
      h("td", { "data-label": "费用" }, yuan(subject.fee)),
      h("td", { "data-label": "状态" }, statusCell(subject)),
      onRemove
        ? h(
            "td",
            { "data-label": "操作" },
            subject.status === "unpaid"
              ? h(
                  "button",
                  { type: "button", class: "small", "aria-label": `删除${subject.name}`, onclick: (e) => onRemove(subject, e.currentTarget) },
                  "删除",
                )
              : "—",
          )
        : null,
    ),
  );
  const table = h(
    "table",
    { class: "subjects" },
    h("caption", {}, "已报考科目"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["科目", "类型", "口试校区", "费用", "状态"].map((t) => h("th", { scope: "col" }, t)),
        onRemove ? h("th", { scope: "col" }, "操作") : null,
      ),
    ),
    h("tbody", {}, rows),
  );
  startCountdowns(table);
  return h("div", { class: "table-wrap" }, tableRoles(table));
}

function progress(registration) {
  const written = registration.subjects.some((s) => s.kind === "written");
  const oral = registration.subjects.some((s) => s.kind === "oral");
  const paid = registration.subjects.length > 0 && registration.amount_due === 0;
  const steps = [
    ["资格确认", true],
    ["笔试报考", written],
    ["口试报考（可选）", oral],
    ["缴费", paid],
  ];
  return h(
    "ol",
    { class: "progress", "aria-label": "报名进度" },
    steps.map(([label, done]) => h("li", { class: done ? "done" : "" }, done ? "✓ " : "○ ", label, h("span", { class: "sr-only" }, done ? "（已完成）" : "（未完成）"))),
  );
}

/** 报名信息: progress, chosen subjects, and the ways on. */
export async function registrationView(ctx) {
  const registration = ctx.me.registration;
  if (!registration) return ctx.redirect("home");
  const box = messageBox();
  const remove = (subject, button) =>
    busy(button, async () => {
      const sure = await confirmDialog({
        title: "删除科目",
        body: h("p", {}, `确定删除“${subject.name}”吗？${subject.kind === "oral" ? "口试考位将被释放。" : ""}`),
        confirm: "删除",
        danger: true,
      });
      if (!sure) return;
      if ((await ctx.attempt(box, () => del(`/registration/subjects/${encodeURIComponent(subject.code)}`))) === undefined) return;
      ctx.flash(`已删除“${subject.name}”。`, "info");
      ctx.reload();
    });
  const review = ctx.me.cet6_review;
  const empty = !registration.subjects.length;
  const offers = h("div", { class: "offers", "aria-live": "polite" }, offeredNotes(registration));
  startCountdowns(offers);
  const waiting = await waitlistPanel(ctx, box);
  return h(
    "section",
    { class: "card" },
    h("h1", {}, "报名信息"),
    h("p", { class: "who" }, `${registration.candidate.name}（${registration.candidate.school} · ${registration.candidate.campus}）`),
    progress(registration),
    empty && registration.expires_at
      ? h("p", { class: "message warn" }, `请尽快报考科目：如到 ${when(registration.expires_at)} 仍未报考任何科目，报名信息将被自动删除。`)
      : null,
    offers,
    subjectTable(registration, remove),
    box,
    waiting,
    registration.amount_due > 0
      ? h("p", { class: "due" }, "待缴费：", h("strong", {}, yuan(registration.amount_due)), "（报考的科目须在选择后 24 小时内缴费，候补递补的考位须在所示时限内缴费，否则将被自动删除）")
      : null,
    h(
      "div",
      { class: "actions" },
      registration.amount_due > 0 ? h("a", { class: "button primary", href: "#/pay" }, "支付") : null,
      h("a", { class: "button", href: "#/written" }, "笔试报考"),
      h("a", { class: "button", href: "#/oral" }, "口试报考"),
      h("a", { class: "button", href: "#/review" }, "CET6资格复核"),
    ),
    review ? h("p", {}, "CET6 资格复核：", reviewStatus(review)) : null,
  );
}

async function noticesFor(ctx) {
  ctx.state.notices ??= await get("/notices");
  return ctx.state.notices;
}

function readNotice(title, text) {
  return h("section", { class: "notice", "aria-label": title }, h("h2", {}, title), h("p", {}, text));
}

/** 笔试报考: the province notice, then at most one subject per level (R-WRIT-1/2). */
export async function writtenView(ctx) {
  const registration = ctx.me.registration;
  if (!registration) return ctx.redirect("home");
  const [subjects, notices] = await Promise.all([get("/subjects"), noticesFor(ctx)]);
  const chosen = new Map(registration.subjects.map((s) => [s.code, s]));
  const box = messageBox();
  const read = h("input", { type: "checkbox", id: "read-notice" });
  const levels = [4, 6].map((level) => levelChoice(level, subjects, chosen));
  const submit = h("button", { type: "submit", class: "primary" }, "提交");
  const form = h(
    "form",
    { novalidate: true },
    h("div", { class: "check" }, read, h("label", { for: "read-notice" }, "我已阅读报考须知及省通告")),
    levels.map((l) => l.node),
    box,
    h("div", { class: "actions" }, submit, h("a", { class: "button", href: "#/registration" }, "返回报名信息")),
  );
  onSubmit(form, submit, async () => {
    if (!ticked(box, read)) return;
    const picks = levels.map((l) => l.value()).filter(Boolean);
    if (!picks.length) {
      showMessage(box, "请至少选择一个笔试科目。");
      return;
    }
    const done = [];
    for (const code of picks) {
      try {
        await post("/registration/subjects", { subject: code });
        done.push(code);
      } catch (error) {
        if (error?.code === "UNAUTHENTICATED") throw error;
        if (!done.length) return showMessage(box, describe(error));
        // part of the choice went through: show the registration as it now is
        ctx.flash(`已报考${done.map(subjectName).join("、")}；${subjectName(code)}未能报考：${describe(error)}`, "error");
        return ctx.go("registration");
      }
    }
    ctx.flash("笔试科目已报考。请在 24 小时内缴费；如需报考口试，请点击“口试报考”。", "success");
    ctx.go("registration");
  });
  return h(
    "section",
    { class: "card" },
    h("h1", {}, "笔试报考"),
    readNotice("报考须知", "同级别科目仅能报考一科，如英语四级与日语四级不能同时报考。选择科目后须在 24 小时内缴费（候补递补的口试考位至多 2 小时），逾期未缴费的科目将被自动删除。"),
    readNotice(`${notices.province.name}通告`, notices.province.notice),
    form,
  );
}

/** R-DATE-1: the exam's date and time, in Beijing time, where the province has set it. */
function examTime(subject) {
  return subject.exam_at ? h("small", { class: "exam-at" }, `考试时间：${beijing(subject.exam_at)}`) : null;
}

function levelChoice(level, subjects, chosen) {
  const written = subjects.filter((s) => s.kind === "written" && s.level === level);
  const taken = written.find((s) => chosen.has(s.code));
  const name = `level-${level}`;
  const legend = h("legend", {}, `${level === 4 ? "四" : "六"}级笔试（只能选一科）`);
  if (taken) {
    return {
      node: h("fieldset", {}, legend, h("p", {}, `已报考：${taken.name}（${chosen.get(taken.code).status === "paid" ? "已缴费" : "未缴费"}）`)),
      value: () => null,
    };
  }
  const none = h("input", { type: "radio", name, value: "", id: `${name}-none`, checked: true });
  const options = written.map((s) => {
    const id = `${name}-${s.code}`;
    const radio = h("input", { type: "radio", name, value: s.code, id, disabled: !s.qualified });
    return h(
      "div",
      { class: `option${s.qualified ? "" : " disabled"}` },
      radio,
      h("label", { for: id }, `${s.name}（${s.code}）`, h("span", { class: "fee" }, yuan(s.fee)), examTime(s), s.qualified ? null : h("small", {}, ` ${s.reason ?? "无报考资格"}`)),
    );
  });
  const node = h(
    "fieldset",
    {},
    legend,
    h("div", { class: "option" }, none, h("label", { for: `${name}-none` }, "不报考")),
    options,
  );
  return { node, value: () => node.querySelector(`input[name="${name}"]:checked`)?.value || null };
}

export const REMAINING = {
  green: ["充足", "green", "剩余考位超过一半"],
  yellow: ["紧张", "yellow", "剩余考位一半或以下"],
  none: ["无", "none", "已报满，不能选择"],
};

/** The capacity as a word beside its colour (R-ORAL-3). */
export function remainingBadge(remaining) {
  const [word, tone, meaning] = REMAINING[remaining] ?? [remaining, "none", ""];
  return h("span", { class: `seats ${tone}`, title: meaning }, `余量：${word}`);
}

/** 口试报考: the subject, then a campus whose oral registration is open (R-ORAL-1..4). */
export async function oralView(ctx) {
  const registration = ctx.me.registration;
  if (!registration) return ctx.redirect("home");
  const [subjects, notices] = await Promise.all([get("/subjects"), noticesFor(ctx)]);
  const chosen = new Map(registration.subjects.map((s) => [s.code, s]));
  const orals = subjects.filter((s) => s.kind === "oral");
  const school = notices.schools.find((s) => s.id === registration.candidate.school_id);
  const homeOnly = school && !school.allow_external_oral;
  const box = messageBox();
  const campusArea = h("div", { class: "campuses", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, "提交");
  let subject = null;
  let standing = []; // the queues of the campuses shown, with the student's entry in each

  const loadCampuses = async () => {
    campusArea.replaceChildren();
    const asked = subject;
    if (!asked) return;
    const query = `subject=${encodeURIComponent(asked)}`;
    const [campuses, upcoming] = await Promise.all([get(`/oral-campuses?${query}`), get(`/oral-campuses/upcoming?${query}`)]);
    if (asked !== subject) return; // the student chose another subject meanwhile
    const join = (campus) => joinButton(ctx, box, asked, campus, (entry) => showMessage(box, joinedText(entry), "success"));
    const choice = campusChoice(campuses, homeOnly ? registration.candidate.campus_id : null, join);
    // R-QUEUE: the queue of any opening that holds one of these campuses, above the campuses; its
    // campuses are not offered until the student's turn, and a refusal it answered goes with it
    const queues = await queuePanel(ctx, [...campuses, ...upcoming], (found) => {
      standing = found;
      gate(choice, gatedCampuses(found));
      if (box.dataset.code === "NOT_ADMITTED" && found.some(({ entry }) => entry?.state === "admitted")) showMessage(box, "");
    });
    if (asked !== subject) return;
    // replaceChildren writes a null as the text "null": only the parts there are
    const parts = [queues, choice, upcomingCampuses(upcoming)];
    campusArea.replaceChildren(...parts.filter(Boolean));
  };
  const shown = (error) => {
    if (error?.code === "UNAUTHENTICATED") throw error;
    showMessage(box, describe(error));
  };
  const nameOf = (code) => subjects.find((s) => s.code === code)?.name ?? subjectName(code);
  const subjectOptions = orals.map((s) => {
    // R-ORAL-4: the service says which written subject is still missing (needs_written), as it does on choosing
    const needsWritten = Boolean(s.needs_written);
    const already = chosen.has(s.code);
    const id = `oral-${s.code}`;
    const radio = h("input", { type: "radio", name: "oral-subject", value: s.code, id, disabled: !s.qualified || needsWritten || already });
    radio.addEventListener("change", () => {
      subject = s.code;
      showMessage(box, "");
      loadCampuses().catch(shown);
    });
    const why = already ? "已报考" : !s.qualified ? (s.reason ?? "无报考资格") : needsWritten ? `请先报考${nameOf(s.needs_written)}笔试` : null;
    return h(
      "div",
      { class: `option${radio.disabled ? " disabled" : ""}` },
      radio,
      h("label", { for: id }, `${s.name}（${s.code}）`, h("span", { class: "fee" }, yuan(s.fee)), examTime(s), why ? h("small", {}, ` ${why}`) : null),
    );
  });
  const form = h(
    "form",
    { novalidate: true },
    h("fieldset", {}, h("legend", {}, "选择口试科目"), subjectOptions),
    homeOnly ? h("p", { class: "message info" }, `${school.name}不接受外校口试：口试校区已自动选定为您的笔试校区（${registration.candidate.campus}）。`) : null,
    campusArea,
    box,
    h("div", { class: "actions" }, submit, h("a", { class: "button", href: "#/registration" }, "返回报名信息")),
  );
  onSubmit(form, submit, async () => {
    delete box.dataset.code;
    const campus = form.querySelector('input[name="campus"]:checked:not(:disabled)');
    if (!subject) return showMessage(box, "请先选择口试科目。");
    if (!campus) return showMessage(box, "请选择口试报名校区（余量为“无”的校区不能选择）。");
    try {
      await post("/registration/subjects", { subject, campus_id: campus.value });
    } catch (error) {
      if (error?.code === "UNAUTHENTICATED") throw error;
      showMessage(box, describe(error));
      if (["CAMPUS_FULL", "CAMPUS_NOT_OPEN", "NOT_ADMITTED"].includes(error?.code)) await loadCampuses().catch(shown);
      if (error?.code === "NOT_ADMITTED") {
        showMessage(box, notAdmittedText(standing, error));
        box.dataset.code = error.code;
      }
      return;
    }
    ctx.flash("口试科目已报考，考位已为您保留。请在 24 小时内缴费。", "success");
    ctx.go("registration");
  });
  return h(
    "section",
    { class: "card" },
    h("h1", {}, "口试报考"),
    readNotice(`${notices.province.name}通告`, notices.province.notice),
    h("p", { class: "legend" }, "余量说明：", remainingBadge("green"), " 剩余考位超过一半；", remainingBadge("yellow"), " 剩余考位一半或以下；", remainingBadge("none"), " 已报满，不能选择，请选择其他校区，或点击“候补”。"),
    form,
  );
}

/** R-DATE-1: campuses that open later, each with its opening time; nothing to tick yet. */
function upcomingCampuses(upcoming) {
  if (!upcoming.length) return null;
  return h(
    "section",
    { class: "upcoming", "aria-label": "即将开放的校区" },
    h("h2", {}, "即将开放的校区"),
    h("p", { class: "hint" }, "以下校区的口试报名尚未开放，开放后即可在上方选择（北京时间）："),
    h("ul", {}, upcoming.map((c) => h("li", {}, h("span", {}, `${c.school} ${c.name}`), " ", h("strong", {}, opensOn(c.opens_at))))),
  );
}

/** R-QUEUE-1: a campus whose queue is open is offered only once the student is admitted. */
function gate(choice, gated) {
  for (const row of choice.querySelectorAll(".option.campus")) {
    const radio = row.querySelector('input[name="campus"]');
    const queued = gated.has(radio.value);
    radio.disabled = queued || row.dataset.full === "true";
    if (queued) radio.checked = false;
    else if (row.dataset.only === "true" && !radio.disabled) radio.checked = true;
    row.classList.toggle("disabled", radio.disabled);
    row.querySelector(".queue-note")?.remove();
    if (queued) row.querySelector("label").append(h("small", { class: "queue-note" }, "需排队：轮到您后才能选择"));
  }
}

function campusChoice(campuses, onlyCampus, join) {
  const shown = onlyCampus ? campuses.filter((c) => c.campus_id === onlyCampus) : campuses;
  if (!shown.length) return h("p", { class: "message warn" }, "当前没有开放口试报名的校区。有些校区开放较晚，请关注学校通知，开放后再来报考。");
  const notice = h("div", { class: "notice", "aria-live": "polite" });
  const showNotice = (campus) => notice.replaceChildren(h("h2", {}, `${campus.school}通告`), h("p", {}, campus.notice || "（暂无通告）"));
  const rows = shown.map((campus) => {
    const id = `campus-${campus.campus_id}`;
    const full = campus.remaining === "none";
    const radio = h("input", { type: "radio", name: "campus", value: campus.campus_id, id, disabled: full, checked: Boolean(onlyCampus) && !full });
    radio.addEventListener("change", () => showNotice(campus));
    return h(
      "div",
      { class: `option campus${full ? " disabled" : ""}`, dataset: { full: String(full), only: String(Boolean(onlyCampus)) } },
      radio,
      h("label", { for: id }, h("span", {}, campus.name), h("small", {}, campus.school), remainingBadge(campus.remaining)),
      full ? join(campus) : null,
    );
  });
  if (onlyCampus) showNotice(shown[0]);
  return h("fieldset", {}, h("legend", {}, "选择报名校区"), rows, notice);
}
