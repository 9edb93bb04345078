// 核对我的位置 (R-QUEUE-3, R-QUEUE-6): in the student's own browser, from what the opening publishes:
// the seed matches the fingerprint published before the opening, the student's place key is
// computed here (WebCrypto), found in the published order page by page, and the page around it
// is checked: in ascending order, nothing skipped, nothing inserted.
import { get } from "../api.js";
import { busy, h } from "../dom.js";
import { describe } from "../messages.js";

const PAGE = 1000; // R-QUEUE-6: the most keys one page holds
const HEX_KEY = /^[0-9a-f]{64}$/;

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** R-QUEUE-3: the hex HMAC-SHA256 of the account id (UTF-8) under the seed (UTF-8): the place key. */
export async function placeKey(seed, accountId) {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(seed), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return hex(await crypto.subtle.sign("HMAC", key, encoder.encode(accountId)));
}

async function fingerprint(seed) {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(seed)));
}

/** A page is whole when it holds every place it should (none skipped) in strictly ascending order
 * (none inserted out of turn), each a place key. */
function wholePage(page, total) {
  const expected = Math.max(0, Math.min(PAGE, total - page.from + 1));
  if (page.keys.length !== expected) return false;
  return page.keys.every((key, i) => HEX_KEY.test(key) && (i === 0 || page.keys[i - 1] < key));
}

/** The student's place in the published order: pages are ascending, so a binary search over them
 * reads about log2(pages) pages (10 for a million places). */
export async function findPlace(openingId, key) {
  const read = async (index) => get(`/openings/${encodeURIComponent(openingId)}/order?from=${index * PAGE + 1}&count=${PAGE}`);
  const first = await read(0);
  const total = first.total;
  const pages = new Map([[0, first]]);
  let low = 0;
  let high = Math.ceil(total / PAGE) - 1;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    if (!pages.has(middle)) pages.set(middle, await read(middle));
    const page = pages.get(middle);
    if (!wholePage(page, total)) return { total, whole: false, place: null };
    if (key < page.keys[0]) high = middle - 1;
    else if (key > page.keys[page.keys.length - 1]) low = middle + 1;
    else {
      const at = page.keys.indexOf(key);
      return { total, whole: true, place: at < 0 ? null : page.from + at, seed: first.seed };
    }
  }
  return { total, whole: true, place: null, seed: first.seed };
}

function outcome(found, entry, sameSeed) {
  if (!sameSeed) return h("p", { class: "message error" }, "公布的抽签种子与开放前公布的“指纹”不一致。请截图并联系学校负责老师。");
  if (!found.whole) return h("p", { class: "message error" }, "名单有缺漏或顺序不对，暂时无法核对。请稍后再试；如一直如此，请截图并联系学校负责老师。");
  if (found.place === null) {
    return h(
      "p",
      { class: "message info" },
      `开放前排好顺序的共 ${found.total} 位，名单中没有您这个账号。开放后才加入排队的同学按加入先后排在他们之后，不在这份名单里。`,
    );
  }
  const agrees =
    entry?.position && entry.position <= found.total
      ? entry.position === found.place
        ? "与上方显示的您的位置一致。"
        : `与上方显示的第 ${entry.position} 位不一致，请截图并联系学校负责老师。`
      : "";
  return h(
    "div",
    { class: "message success place-checked" },
    h("p", {}, h("strong", {}, `您的位置：第 ${found.place} 位，共 ${found.total} 位`)),
    h("p", {}, `名单按位置码从小到大排列，您前后的位置连续，没有被跳过或插入的位置。${agrees}`),
  );
}

/** The check as a student reads it: what the draw is, why nobody can change it, one button. */
export function placeCheck(opening, accountId, entry) {
  if (!opening.seed) {
    return h(
      "p",
      { class: "hint seed" },
      "开放前加入的同学，顺序由电脑抽签决定。抽签用的“种子”已经封存，它的“指纹”现在就公布：",
      h("code", {}, opening.seed_sha256 ?? "—"),
      "。开放后公布种子和全部顺序，届时可以核对自己的位置。",
    );
  }
  const result = h("div", { class: "check-result", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "small" }, "核对我的位置");
  button.addEventListener("click", () =>
    busy(button, async () => {
      result.replaceChildren(h("p", { class: "hint" }, "正在核对……"));
      try {
        const key = await placeKey(opening.seed, accountId);
        const sameSeed = (await fingerprint(opening.seed)) === opening.seed_sha256;
        result.replaceChildren(outcome(await findPlace(opening.opening_id, key), entry, sameSeed));
      } catch (error) {
        if (error?.code === "UNAUTHENTICATED") throw error;
        result.replaceChildren(h("p", { class: "message error" }, describe(error)));
      }
    }),
  );
  return h(
    "details",
    { class: "seed" },
    h("summary", {}, "如何核对自己的位置"),
    h(
      "p",
      {},
      "开放前加入的同学，顺序由电脑抽签决定：抽签的“种子”在排队开始前就封存了，开放后才公布，谁都不能再改。",
      "每个账号由种子算出一串“位置码”，大家按位置码从小到大排队，全部位置码已经公开。",
    ),
    h("p", {}, "点下面的按钮，您的浏览器会自己算出您的位置码，在公开的名单里找到它，并检查名单有没有跳过或插入的位置。计算在您的浏览器里完成。"),
    button,
    result,
    h(
      "details",
      { class: "technical" },
      h("summary", {}, "技术说明（给想自己计算的人）"),
      h("p", {}, "种子：", h("code", {}, opening.seed)),
      h("p", {}, "种子的指纹（SHA-256）：", h("code", {}, opening.seed_sha256)),
      h("p", {}, "账号编号：", h("code", {}, accountId)),
      h("p", {}, "位置码是以种子为密钥、对账号编号计算的 HMAC-SHA256（十六进制）；名单见 ", h("code", {}, `GET /openings/${opening.opening_id}/order`), "。"),
    ),
  );
}
