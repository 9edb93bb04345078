// Money in yuan, times in Beijing time, and the countdown to a deadline.

// The one date formatter: a moment's parts in Beijing time, each as two digits (the year as four).
const BEIJING_PARTS = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

/** A moment → { year, month, day, hour, minute } in Beijing time ("2026", "06", "01", "09", "00"). */
function beijingParts(date) {
  return Object.fromEntries(BEIJING_PARTS.formatToParts(date).map((part) => [part.type, part.value]));
}

/** 3000 (fen) → "30.00 元". */
export function yuan(fen) {
  return `${(fen / 100).toFixed(2)} 元`;
}

/** An ISO time → "2026/11/28 19:40"（北京时间）. */
export function when(iso) {
  if (!iso) return "—";
  const p = beijingParts(new Date(iso));
  return `${p.year}/${p.month}/${p.day} ${p.hour}:${p.minute}`;
}

/** An ISO time labelled as Beijing time (R-DATE-1): "2026/11/28 19:40（北京时间）". */
export function beijing(iso) {
  return iso ? `${when(iso)}（北京时间）` : "—";
}

/** An exam's start and end: "2099/12/19 09:00 至 11:20（北京时间）" (the end's date too when it differs). */
export function examSpan(startsAt, endsAt) {
  if (!startsAt || !endsAt) return beijing(startsAt);
  const start = beijingParts(new Date(startsAt));
  const end = beijingParts(new Date(endsAt));
  const sameDay = start.year === end.year && start.month === end.month && start.day === end.day;
  return `${when(startsAt)} 至 ${sameDay ? `${end.hour}:${end.minute}` : when(endsAt)}（北京时间）`;
}

/** A window or period: "2026/11/01 09:00 至 2026/11/15 17:00（北京时间）". */
export function period(opensAt, closesAt) {
  return `${when(opensAt)} 至 ${when(closesAt)}（北京时间）`;
}

const CLOCK = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });

/** A moment as "HH:MM:SS" in Beijing time (when figures were last fetched). */
export function clockTime(date = new Date()) {
  return CLOCK.format(date);
}

/** An ISO time → the value of a datetime-local input showing it in Beijing time ("2026-11-28T09:00"). */
export function toBeijingInput(iso) {
  if (!iso || Number.isNaN(Date.parse(iso))) return "";
  const p = beijingParts(new Date(iso));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** A datetime-local value read as Beijing time → ISO 8601 with its offset ("2026-11-28T09:00:00+08:00"). */
export function fromBeijingInput(value) {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value) ? `${value}:00+08:00` : null;
}

/** When a campus opens, in Beijing time: "6月1日 09:00 开放" (with the year when it is not this one). */
export function opensOn(iso, now = Date.now()) {
  const at = beijingParts(new Date(iso));
  const year = at.year === beijingParts(new Date(now)).year ? "" : `${at.year}年`;
  return `${year}${Number(at.month)}月${Number(at.day)}日 ${at.hour}:${at.minute} 开放`;
}

/** Time left until `iso`, in words: "23 小时 05 分 09 秒", or null once it has passed. */
export function timeLeft(iso, now = Date.now()) {
  const left = Math.floor((Date.parse(iso) - now) / 1000);
  if (left <= 0) return null;
  const hours = Math.floor(left / 3600);
  const minutes = String(Math.floor((left % 3600) / 60)).padStart(2, "0");
  const seconds = String(left % 60).padStart(2, "0");
  return `${hours} 小时 ${minutes} 分 ${seconds} 秒`;
}

/** Every element with data-deadline shows the time left, refreshed each second. */
export function startCountdowns(root) {
  const tick = () => {
    for (const node of root.querySelectorAll("[data-deadline]")) {
      const left = timeLeft(node.dataset.deadline);
      node.textContent = left ? `剩余 ${left}` : "已超过缴费期限，科目将被删除";
      node.classList.toggle("overdue", !left);
    }
  };
  tick();
  let shown = false; // the table may be built before the page shows it
  const timer = setInterval(() => {
    if (root.isConnected) shown = true;
    if (shown && !root.isConnected) clearInterval(timer);
    else tick();
  }, 1000);
}

export const SUBJECT_NAMES = {
  CET4: "英语四级",
  CET6: "英语六级",
  CJT4: "日语四级",
  CJT6: "日语六级",
  PHS4: "德语四级",
  PHS6: "德语六级",
  CRT4: "俄语四级",
  CRT6: "俄语六级",
  TFU4: "法语四级",
  "CET-SET4": "英语四级口试",
  "CET-SET6": "英语六级口试",
};

export function subjectName(code) {
  return SUBJECT_NAMES[code] ?? code;
}

export const ID_TYPES = [
  ["resident_id", "中华人民共和国居民身份证"],
  ["hk_macao_permit", "港澳居民来往内地通行证"],
  ["taiwan_permit", "台湾居民来往大陆通行证"],
  ["passport", "护照"],
  ["hmt_residence_permit", "港澳台居民居住证"],
  ["foreign_permanent_resident", "外国人永久居留身份证"],
  ["military_officer", "军官证（不支持）"],
];

export function idTypeName(code) {
  return ID_TYPES.find(([value]) => value === code)?.[1] ?? code;
}
