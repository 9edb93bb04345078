// What the province administrator changes while registration runs (R-OPS-2): an oral capacity, a
// school's window, a notice. Each form shows before → after and asks once more; every change is
// then listed in the change log (GET /admin/changes), newest first.
import { ApiError, put } from "../api.js";
import { confirmDialog, field, h, messageBox, onSubmit, showMessage, tableRoles } from "../dom.js";
import { clockTime, fromBeijingInput, period, subjectName, toBeijingInput, when } from "../format.js";
import { describe } from "../messages.js";

const LOG_ROWS = 50;
const MAX_CAPACITY = 100000; // the service's bounds (400 INVALID_REQUEST past them)
const MAX_NOTICE = 2000;
const WORDS = {
  window: "报名时间",
  windows: "报名时间",
  seat: "口试考位容量",
  seats: "口试考位容量",
  capacity: "容量",
  notice: "通告",
  notices: "通告",
  province: "全省",
};
const TOKEN = /[A-Za-z0-9_-]+/g;

const isWindow = (value) => value && typeof value === "object" && value.opens_at && value.closes_at;

/** The windows a value holds: `{windows: [...], open_now}` as the change log records a school's
 * windows, or one window; null for anything else. */
function windowsOf(value) {
  if (!value || typeof value !== "object") return null;
  if (Array.isArray(value.windows)) return value.windows.filter(isWindow);
  return isWindow(value) ? [value] : null;
}

/** The windows the page can know, per school: the overview's own list when it carries one (every
 * school's windows as the service holds them; a school it does not list has none), else what the
 * change log recorded for the school, before its first change and after its newest. */
export function knownWindows(overview, changes, schoolIds = []) {
  const found = new Map();
  for (const change of [...changes].reverse()) {
    const words = typeof change.what === "string" ? change.what.match(TOKEN) ?? [] : [];
    if (!words.some((w) => w.toLowerCase().startsWith("window"))) continue;
    const id = change.after?.school_id ?? schoolIds.find((s) => words.includes(s));
    const before = windowsOf(change.before);
    const after = windowsOf(change.after);
    if (id && before && !found.has(id)) found.set(id, before);
    if (id && after) found.set(id, after);
  }
  if (!Array.isArray(overview.windows)) return found;
  const listed = new Map(schoolIds.map((id) => [id, []]));
  for (const window of overview.windows.filter(isWindow)) listed.set(window.school_id, [...(listed.get(window.school_id) ?? []), window]);
  for (const [id, windows] of listed) found.set(id, windows);
  return found;
}

const periods = (windows) => windows.map((w) => period(w.opens_at, w.closes_at)).join("；");

/** Whether the school registers now, by the service's clock, where the overview said so. */
function openNow(windows) {
  if (!windows?.length || windows.some((w) => typeof w.open_now !== "boolean")) return "";
  return windows.some((w) => w.open_now) ? "（现在开放）" : "（现在未开放）";
}

/** Runs one change; a refusal lands in `box` in the page's words (or `explain`'s), undefined returned. */
async function attempt(box, work, explain = async () => null) {
  showMessage(box, "");
  try {
    return (await work()) ?? true;
  } catch (error) {
    if (!(error instanceof ApiError) || error.code === "UNAUTHENTICATED") throw error;
    showMessage(box, (await explain(error)) ?? describe(error));
    return undefined;
  }
}

function beforeAfter(before, after) {
  return h("dl", { class: "facts before-after" }, h("dt", {}, "修改前"), h("dd", {}, before), h("dt", {}, "修改后"), h("dd", {}, after));
}

function formCard(id, title, intro, ...parts) {
  return h("div", { class: "change-form" }, h("h3", { id }, title), h("p", { class: "hint" }, intro), ...parts);
}

/** 修改口试考位容量: never below the seats taken (409 CAPACITY_BELOW_TAKEN names how many). */
function capacityForm(board) {
  const box = messageBox();
  const seats = board.seats();
  const choice = h("select", { name: "seat", required: true }, seats.map((s) => h("option", { value: `${s.campus_id}/${s.subject}` }, board.seatLabel(s))));
  const capacity = h("input", { type: "number", name: "capacity", min: 0, max: MAX_CAPACITY, step: 1, required: true, inputmode: "numeric" });
  const current = h("p", { class: "hint", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, "修改容量");
  const show = () => {
    const seat = board.seat(choice.value);
    current.textContent = seat ? `当前容量 ${seat.capacity}，已占用 ${seat.taken}（其中未缴费保留 ${seat.live_holds}），候补 ${seat.waiting} 人（${clockTime(board.fetchedAt)} 的数据）。` : "";
  };
  const fill = () => {
    capacity.value = board.seat(choice.value)?.capacity ?? "";
    show();
  };
  choice.addEventListener("change", fill);
  board.listen(show);
  fill();
  const form = h("form", {}, field("考位（校区 · 科目）", choice), current, field("新容量", capacity, "容量不能低于已占用的考位数。"), h("div", { class: "actions" }, submit));
  onSubmit(form, submit, async () => {
    const key = choice.value;
    const seat = board.seat(key);
    const next = Number(capacity.value);
    if (!seat) return;
    if (next === seat.capacity) {
      showMessage(box, `新容量与当前容量（${seat.capacity}）相同，无需修改。`);
      return;
    }
    const label = board.seatLabel(seat);
    const go = await confirmDialog({
      title: "确认修改考位容量",
      body: [h("p", {}, label), beforeAfter(`容量 ${seat.capacity}`, `容量 ${next}`), h("p", { class: "hint" }, `已占用 ${seat.taken} 个考位（${clockTime(board.fetchedAt)} 的数据）。`)],
      confirm: "确认修改",
    });
    if (!go) return;
    const [campus, subject] = key.split("/");
    const done = await attempt(
      box,
      () => put(`/admin/seats/${encodeURIComponent(campus)}/${encodeURIComponent(subject)}`, { capacity: next }),
      async (error) => {
        if (error.code !== "CAPACITY_BELOW_TAKEN") return null;
        await board.refresh().catch(() => null); // the seats taken now, not 30 seconds ago
        const taken = Number.isInteger(error.details?.taken) ? error.details.taken : board.seat(key)?.taken ?? seat.taken;
        return `不能低于已占用的 ${taken} 个座位：${label}现已占用 ${taken} 个考位，请填写不少于 ${taken} 的容量。`;
      },
    );
    if (done === undefined) return;
    showMessage(box, `已将${label}的容量由 ${seat.capacity} 改为 ${next}。`, "success");
    await board.refresh();
  });
  return formCard("capacity-title", "修改口试考位容量", "报名进行中也可以修改；已占用的考位不受影响。", form, box);
}

/** 修改学校报名时间: a window that closes registration now is allowed, said before, and recorded. */
function windowForm(board) {
  const box = messageBox();
  const school = h("select", { name: "school", required: true }, board.schools().map((s) => h("option", { value: s.id }, s.name)));
  const opens = h("input", { type: "datetime-local", name: "opens_at", required: true });
  const closes = h("input", { type: "datetime-local", name: "closes_at", required: true });
  const current = h("p", { class: "hint", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, "修改报名时间");
  const shown = (windows) => (!windows ? "本页暂无该校当前的报名时间（以省数据文件为准）" : windows.length ? periods(windows) : "未设报名时间");
  const show = () => {
    const windows = board.windows.get(school.value);
    current.textContent = `当前报名时间：${shown(windows)}${openNow(windows)}`;
  };
  const fill = () => {
    const windows = board.windows.get(school.value);
    show();
    opens.value = toBeijingInput(windows?.[0]?.opens_at);
    closes.value = toBeijingInput(windows?.[0]?.closes_at);
  };
  school.addEventListener("change", fill);
  board.listen(show); // a refresh updates what is shown, never what is being typed
  fill();
  const form = h(
    "form",
    {},
    field("学校", school),
    current,
    field("开始时间（北京时间）", opens),
    field("截止时间（北京时间）", closes),
    h("div", { class: "actions" }, submit),
  );
  onSubmit(form, submit, async () => {
    const id = school.value;
    const next = { opens_at: fromBeijingInput(opens.value), closes_at: fromBeijingInput(closes.value) };
    if (!next.opens_at || !next.closes_at) {
      showMessage(box, "请完整填写开始时间和截止时间（年、月、日、时、分）。");
      return;
    }
    if (Date.parse(next.closes_at) <= Date.parse(next.opens_at)) {
      showMessage(box, "截止时间须晚于开始时间，请检查后重新填写。");
      closes.focus();
      return;
    }
    const before = board.windows.get(id);
    const same = (w) => Date.parse(w.opens_at) === Date.parse(next.opens_at) && Date.parse(w.closes_at) === Date.parse(next.closes_at);
    if (before?.length === 1 && same(before[0])) {
      showMessage(box, "与当前报名时间相同，无需修改。");
      return;
    }
    const now = Date.now();
    const closedNow = Date.parse(next.opens_at) > now || Date.parse(next.closes_at) <= now;
    const go = await confirmDialog({
      title: "确认修改报名时间",
      body: [
        h("p", {}, board.schoolName(id)),
        beforeAfter(shown(before), period(next.opens_at, next.closes_at)),
        closedNow ? h("p", { class: "message warn" }, "修改后该校现在不在网上报名时间内：正在报名的考生将不能保存报名信息。此修改会记入修改记录。") : null,
      ],
      confirm: "确认修改",
    });
    if (!go) return;
    const window = await attempt(box, () => put(`/admin/windows/${encodeURIComponent(id)}`, next));
    if (window === undefined) return;
    board.windows.set(id, windowsOf(window) ?? [next]);
    fill();
    showMessage(box, `已将${board.schoolName(id)}的报名时间改为 ${period(next.opens_at, next.closes_at)}。`, "success");
    await board.refresh();
  });
  return formCard("window-title", "修改学校报名时间", "修改后立即生效（各页面最迟 30 秒内更新）。", form, box);
}

/** 修改通告: the province's notice or a school's, the whole text before and after. */
function noticeForm(board) {
  const box = messageBox();
  const target = h(
    "select",
    { name: "target", required: true },
    h("option", { value: "province" }, "全省通告"),
    board.schools().map((s) => h("option", { value: s.id }, `${s.name}通告`)),
  );
  const text = h("textarea", { name: "notice", rows: 5, maxlength: MAX_NOTICE });
  const submit = h("button", { type: "submit", class: "primary" }, "修改通告");
  const fill = () => (text.value = board.noticeText.get(target.value) ?? "");
  target.addEventListener("change", fill);
  fill();
  const form = h("form", {}, field("通告对象", target), field("通告内容", text, `考生在选择科目和校区时看到的通告，${MAX_NOTICE} 字以内。`), h("div", { class: "actions" }, submit));
  onSubmit(form, submit, async () => {
    const id = target.value;
    const before = board.noticeText.get(id) ?? "";
    const next = text.value.trim();
    if (next === before.trim()) {
      showMessage(box, "通告内容没有变化，无需修改。");
      return;
    }
    const name = id === "province" ? "全省通告" : `${board.schoolName(id)}通告`;
    const go = await confirmDialog({
      title: "确认修改通告",
      body: [h("p", {}, name), beforeAfter(h("span", { class: "notice-text" }, before || "（空）"), h("span", { class: "notice-text" }, next || "（空）"))],
      confirm: "确认修改",
    });
    if (!go) return;
    const done = await attempt(box, () => put(`/admin/notices/${encodeURIComponent(id)}`, { notice: next }));
    if (done === undefined) return;
    board.noticeText.set(id, next);
    showMessage(box, `已修改${name}。`, "success");
    await board.refresh();
  });
  return formCard("notice-title", "修改通告", "全省通告显示给全省考生，学校通告显示给该校考生。", form, box);
}

export function changeForms(ctx, board) {
  return h(
    "section",
    { class: "card", "aria-labelledby": "forms-title" },
    h("h2", { id: "forms-title" }, "修改报名设置"),
    h("p", {}, "每项修改都要再确认一次，并记入下方的修改记录（修改人、时间、修改前后）。"),
    capacityForm(board),
    windowForm(board),
    noticeForm(board),
  );
}

/** The change's subject in words: codes the page knows become names ("seats nyit-main CET-SET4" →
 * "口试考位容量 南屿理工学院本部校区 英语四级口试"); anything else is shown as the service wrote it. */
function whatText(board, what) {
  if (typeof what !== "string") return valueText(what);
  const schools = new Set(board.schools().map((s) => s.id));
  const campuses = new Set(board.seats().map((s) => s.campus_id));
  const named = what.replace(TOKEN, (word) => {
    if (WORDS[word.toLowerCase()]) return WORDS[word.toLowerCase()];
    if (schools.has(word)) return board.schoolName(word);
    if (campuses.has(word)) return board.campusName(word);
    return subjectName(word);
  });
  return named.replace(/\s*\/\s*/g, " · ");
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** A before or after value in words: a window as its period, a capacity, a notice's text. */
function valueText(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "string") return ISO.test(value) ? when(value) : value;
  if (typeof value !== "object") return String(value);
  const windows = windowsOf(value);
  if (windows) {
    const open = value.open_now === true ? "（当时开放）" : value.open_now === false ? "（当时未开放）" : "";
    return `${windows.length ? periods(windows) : "未设报名时间"}${open}`;
  }
  if ("capacity" in value) return `容量 ${value.capacity}`;
  if ("notice" in value) return valueText(value.notice);
  return Object.entries(value)
    .map(([key, v]) => `${WORDS[key] ?? key}：${valueText(v)}`)
    .join("；");
}

export function changeLog(board) {
  const changes = board.changes;
  if (!changes.length) return h("p", { class: "empty" }, "还没有修改记录。");
  const shown = changes.slice(0, LOG_ROWS);
  const rows = shown.map((c) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, when(c.at)),
      h("td", { "data-label": "修改人" }, c.by ?? "—"),
      h("td", { "data-label": "修改内容" }, whatText(board, c.what)),
      h("td", { "data-label": "修改前", class: "notice-text" }, valueText(c.before)),
      h("td", { "data-label": "修改后", class: "notice-text" }, valueText(c.after)),
    ),
  );
  const caption = changes.length > LOG_ROWS ? `修改记录（最近 ${LOG_ROWS} 条，共 ${changes.length} 条）` : `修改记录（${changes.length} 条，最新的在前）`;
  return h(
    "div",
    { class: "table-wrap" },
    tableRoles(
      h(
        "table",
        { class: "subjects change-log" },
        h("caption", {}, caption),
        h("thead", {}, h("tr", {}, ["时间（北京时间）", "修改人", "修改内容", "修改前", "修改后"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows),
      ),
    ),
  );
}
