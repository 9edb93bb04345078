// The page: one route per step (#/login … #/pay), the account bar, and one place errors land.
import { ApiError, configure, del, get, token } from "./api.js";
import { h, showMessage } from "./dom.js";
import { describe } from "./messages.js";
import { loginView, registerView } from "./views/account.js";
import { agreementView, confirmView, lookupView } from "./views/enrol.js";
import { withExamSchedule } from "./views/exam_schedule.js";
import { homeView } from "./views/home.js";
import { ordersView } from "./views/orders.js";
import { payView } from "./views/payment.js";
import { provinceView } from "./views/province.js";
import { forgotView, settingsView } from "./views/recovery.js";
import { reviewView } from "./views/review.js";
import { staffView } from "./views/staff.js";
import { oralView, registrationView, writtenView } from "./views/subjects.js";

const ROUTES = {
  login: [loginView, "登录"],
  register: [registerView, "注册通行证"],
  forgot: [forgotView, "找回密码"],
  settings: [settingsView, "账户设置"],
  home: [homeView, "报名首页"],
  agreement: [agreementView, "报名协议"],
  lookup: [lookupView, "资格信息查询"],
  confirm: [confirmView, "资格信息确认"],
  review: [reviewView, "CET6资格复核"],
  registration: [withExamSchedule(registrationView), "报名信息"],
  written: [writtenView, "笔试报考"],
  oral: [oralView, "口试报考"],
  pay: [payView, "缴费"],
  orders: [ordersView, "缴费记录"],
  staff: [staffView, "CET6资格复核（学校负责老师）"],
  province: [provinceView, "全省报名概况（省级管理员）"],
};
// Staff and province administrators have a page of their own, and account settings; nothing else.
const ROLE_HOME = { staff: ["staff", "复核列表"], province: ["province", "全省概况"] };
const ROLE_ROUTES = new Set(Object.values(ROLE_HOME).map(([route]) => route));
const PUBLIC = new Set(["login", "register", "forgot"]);
const SITE = "全国大学英语四、六级考试（CET）网上报名";

const main = document.getElementById("main");
const account = document.getElementById("account");
const announcer = document.getElementById("announce");
const state = {};
let pendingFlash = null;
let renderCount = 0;

function currentRoute() {
  const name = window.location.hash.replace(/^#\//, "");
  return ROUTES[name] ? name : token.get() ? "home" : "login";
}

function go(name) {
  if (window.location.hash === `#/${name}`) render();
  else window.location.hash = `#/${name}`;
}

const REDIRECT = Symbol("redirect");

const ctx = {
  state,
  me: null,
  go,
  reload: () => render(),
  /** A view that does not apply now sends the student where they belong. */
  redirect(name) {
    setTimeout(() => go(name));
    return REDIRECT;
  },
  flash(text, kind = "info") {
    pendingFlash = { text, kind };
  },
  /** A new session: whatever the tab held for an earlier one goes first. */
  signIn(newToken) {
    forget();
    token.set(newToken);
  },
  /** The session is gone (a new password revoked it): the tab forgets the student. */
  signOut() {
    forget();
  },
  /** Runs one call; an API refusal lands in `box` (undefined returned), anything else goes up. */
  async attempt(box, work) {
    showMessage(box, "");
    try {
      const result = await work();
      return result ?? true;
    } catch (error) {
      if (!(error instanceof ApiError) || error.code === "UNAUTHENTICATED") throw error;
      showMessage(box, describe(error));
      return undefined;
    }
  },
};

/** Nothing of one student stays in the tab for the next one: identity, lookup, an order on its way. */
function forget() {
  token.clear();
  ctx.me = null;
  for (const key of Object.keys(state)) delete state[key];
  sessionStorage.removeItem("cet.paying");
}

function accountBar(me) {
  if (!me) return [];
  const logout = h("button", { type: "button", class: "link-button" }, "退出");
  logout.addEventListener("click", async () => {
    await del("/sessions/current").catch(() => null);
    forget();
    ctx.flash("您已安全退出。", "info");
    go("login");
  });
  const [home, homeName] = ROLE_HOME[me.role] ?? ["home", "报名首页"];
  return [
    h("span", {}, `通行证：${me.login}`),
    h("a", { href: `#/${home}` }, homeName),
    h("a", { href: "#/settings" }, "账户设置"),
    logout,
  ];
}

/** The message of the last action, under the new page's heading, and read out by screen readers. */
function showFlash(node) {
  announcer.textContent = "";
  if (!pendingFlash) return;
  const { text, kind } = pendingFlash;
  pendingFlash = null;
  const shown = h("p", { class: `message ${kind}` }, text);
  const heading = node.querySelector("h1");
  if (heading) heading.after(shown);
  else node.prepend(shown);
  setTimeout(() => (announcer.textContent = text), 50);
}

function failure(error) {
  if (error instanceof ApiError && error.code === "UNAUTHENTICATED") {
    forget();
    ctx.flash(describe(error), "error");
    go("login");
    return null;
  }
  const text = error instanceof ApiError ? describe(error) : describe({ code: "UNEXPECTED" });
  if (!(error instanceof ApiError)) console.warn(error);
  return h(
    "section",
    { class: "card narrow" },
    h("h1", {}, "页面暂时无法显示"),
    h("p", { class: "message error", role: "alert" }, text),
    h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: () => render() }, "重试"), h("a", { class: "button", href: "#/home" }, "返回报名首页")),
  );
}

async function render() {
  const name = currentRoute();
  const mine = ++renderCount;
  const [view, title] = ROUTES[name];
  if (!PUBLIC.has(name) && !token.get()) return go("login");
  document.title = `${title} - ${SITE}`;
  main.setAttribute("aria-busy", "true");
  let node;
  try {
    ctx.me = PUBLIC.has(name) ? null : await get("/me");
    const own = ROLE_HOME[ctx.me?.role]?.[0] ?? "home";
    if (ctx.me && own !== "home" && ![own, "settings"].includes(name)) return go(own);
    if (ctx.me && ROLE_ROUTES.has(name) && name !== own) return go(own);
    node = await view(ctx);
  } catch (error) {
    node = failure(error);
  }
  if (mine !== renderCount || node === REDIRECT || node === null) return undefined;
  account.replaceChildren(...accountBar(ctx.me));
  showFlash(node);
  main.replaceChildren(node);
  main.removeAttribute("aria-busy");
  const heading = main.querySelector("h1");
  heading?.setAttribute("tabindex", "-1");
  heading?.focus({ preventScroll: true });
  window.scrollTo(0, 0);
  return undefined;
}

/** A refusal that escaped a button's handler: an expired session goes to 登录, the rest is shown. */
function escaped(event) {
  const error = event.reason;
  event.preventDefault();
  const shown = failure(error);
  if (shown) {
    const message = shown.querySelector(".message");
    main.prepend(message);
    message.scrollIntoView({ block: "nearest" });
  }
}

async function boot() {
  await configure();
  window.addEventListener("unhandledrejection", escaped);
  window.addEventListener("hashchange", () => {
    if (!window.location.hash || window.location.hash.startsWith("#/")) render();
  });
  document.querySelector("a.skip").addEventListener("click", (event) => {
    event.preventDefault();
    (main.querySelector("h1") ?? main).focus();
  });
  await render();
}

boot();
