// 候补 (R-WAIT-1..2): joining the waiting list of a full campus, the place on it, and the offer.
import { del, get, post } from "../api.js";
import { busy, confirmDialog, h } from "../dom.js";
import { beijing, subjectName } from "../format.js";

/** A 候补 button beside a campus that shows 无 (R-WAIT-1): its name begins with the words it shows. */
export function joinButton(ctx, box, subject, campus, onJoined) {
  return h(
    "button",
    {
      type: "button",
      class: "small waitlist-join",
      "aria-label": `候补${campus.name}`,
      onclick: (e) =>
        busy(e.currentTarget, async () => {
          const entry = await ctx.attempt(box, () => post("/waitlist", { subject, campus_id: campus.campus_id }));
          if (entry !== undefined) onJoined(entry);
        }),
    },
    "候补",
  );
}

/** What joining said: the place on the list, and what happens when a seat comes back. */
export function joinedText(entry) {
  return `已加入${entry.campus}${subjectName(entry.subject)}的候补名单，当前排第 ${entry.position} 位。有考位退回时将按顺序为您保留 2 小时，届时会通知您，请留意并及时缴费。`;
}

/** 我的候补: each list the student waits on, with the place and a way off it. */
export async function waitlistPanel(ctx, box) {
  const entries = await get("/waitlist");
  if (!entries.length) return null;
  const leave = (entry, button) =>
    busy(button, async () => {
      const sure = await confirmDialog({
        title: "退出候补",
        body: h("p", {}, `确定退出${entry.campus}${subjectName(entry.subject)}的候补吗？退出后再加入将排在候补名单末尾。`),
        confirm: "退出候补",
        danger: true,
      });
      if (!sure) return;
      if ((await ctx.attempt(box, () => del(`/waitlist/${encodeURIComponent(entry.subject)}`))) === undefined) return;
      ctx.flash("已退出候补。", "info");
      ctx.reload();
    });
  return h(
    "section",
    { class: "waitlist", "aria-label": "我的候补" },
    h("h2", {}, "我的候补"),
    h(
      "ul",
      {},
      entries.map((entry) =>
        h(
          "li",
          {},
          h("span", {}, `${entry.campus} · ${subjectName(entry.subject)}`),
          " ",
          h("strong", { class: "position" }, `排第 ${entry.position} 位`),
          h("small", {}, `（${beijing(entry.joined_at)}加入）`),
          " ",
          h("button", { type: "button", class: "small", "aria-label": `退出候补：${subjectName(entry.subject)}`, onclick: (e) => leave(entry, e.currentTarget) }, "退出候补"),
        ),
      ),
    ),
    h("p", { class: "hint" }, "有考位退回时按加入顺序依次递补，为您保留 2 小时并发送通知；逾期未缴费将让给下一位。"),
  );
}

/** The offer (R-WAIT-2): a seat from the list, held until pay_by, its countdown in the table. */
export function offeredNotes(registration) {
  const offered = registration.subjects.filter((s) => s.offered && s.status === "unpaid");
  return offered.map((s) =>
    h(
      "p",
      { class: "message success offer" },
      `候补成功：${s.campus ?? ""}${s.name}的考位已为您保留，请在 ${beijing(s.pay_by)}前缴费，`,
      h("span", { class: "countdown", dataset: { deadline: s.pay_by } }),
      "。逾期未缴费，考位将让给下一位候补考生。",
    ),
  );
}
