// 通行证: register and log in, each with a single-use captcha (R-ACC-1).
import { ApiError, post, siteConfig } from "../api.js";
import { field, h, messageBox, onSubmit, showMessage } from "../dom.js";
import { describe, PASSWORD_POLICY } from "../messages.js";

export function captchaField(box) {
  const input = h("input", {
    name: "captcha",
    required: true,
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    maxlength: 8,
    class: "captcha-input",
  });
  const image = h("img", { class: "captcha-image", alt: "图形验证码图片（看不清请点“换一张”）", width: 320, height: 120 });
  const refresh = h("button", { type: "button", class: "link-button" }, "换一张");
  let captchaId = null;
  const load = async () => {
    input.value = "";
    captchaId = null;
    try {
      const issued = await post("/captchas");
      captchaId = issued.captcha_id;
      image.src = issued.image;
    } catch (error) {
      image.removeAttribute("src");
      showMessage(box, `验证码加载失败，请点击“换一张”重试。${error?.code === "NETWORK" ? describe(error) : ""}`);
    }
  };
  refresh.addEventListener("click", () => load());
  image.addEventListener("click", () => load());
  const node = h("div", { class: "captcha" }, field("图形验证码", input, "请输入图片中的 4 个字符，不区分大小写"), image, refresh);
  return { node, input, load, answer: () => ({ captcha_id: captchaId, captcha_answer: input.value.trim() }) };
}

function credentialFields(kind, login = "") {
  const loginInput = h("input", {
    name: "login",
    required: true,
    autocomplete: "username",
    inputmode: "email",
    value: login,
  });
  const password = h("input", {
    name: "password",
    type: "password",
    required: true,
    autocomplete: kind === "register" ? "new-password" : "current-password",
    minlength: kind === "register" ? 8 : null,
  });
  return {
    loginInput,
    password,
    nodes: [
      field("通行证账号（电子邮箱或手机号）", loginInput),
      field("密码", password, kind === "register" ? PASSWORD_POLICY : null),
    ],
  };
}

/** 登录 */
export async function loginView(ctx) {
  const box = messageBox();
  const creds = credentialFields("login", ctx.state.lastLogin ?? "");
  const captcha = captchaField(box);
  const submit = h("button", { type: "submit", class: "primary" }, "登录");
  const form = h("form", { novalidate: true }, creds.nodes, captcha.node, box, h("div", { class: "actions" }, submit));
  onSubmit(form, submit, async () => {
    try {
      const session = await post("/sessions", {
        login: creds.loginInput.value.trim(),
        password: creds.password.value,
        ...captcha.answer(),
      });
      ctx.signIn(session.token);
      ctx.go("home");
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      await captcha.load();
      showMessage(box, describe(error));
      (error.code === "INVALID_CAPTCHA" ? captcha.input : creds.password).focus();
    }
  });
  await captcha.load();
  return h(
    "section",
    { class: "card narrow" },
    h("h1", {}, "登录报名系统"),
    h("p", {}, "请输入通行证账号（邮箱或手机号）、密码和验证码。"),
    form,
    h("p", {}, h("a", { href: "#/forgot" }, "忘记密码？"), " 还没有通行证？", h("a", { href: "#/register" }, "点击注册")),
    demoStaff(),
  );
}

/** Only the local demo stack's config.json lists these: the demo schools' staff accounts. */
function demoStaff() {
  const staff = siteConfig.demo?.staff;
  if (!staff?.length) return null;
  return h(
    "details",
    { class: "demo" },
    h("summary", {}, "学校负责老师演示账号（仅本地演示站点）"),
    h("ul", {}, staff.map((s) => h("li", {}, `${s.school}：${s.login}`))),
    h("p", { class: "hint" }, siteConfig.demo.staff_activation ?? ""),
  );
}

/** 注册通行证 */
export async function registerView(ctx) {
  const box = messageBox();
  const creds = credentialFields("register");
  const again = h("input", { name: "password2", type: "password", required: true, autocomplete: "new-password" });
  const captcha = captchaField(box);
  const submit = h("button", { type: "submit", class: "primary" }, "注册");
  const form = h(
    "form",
    { novalidate: true },
    creds.nodes,
    field("再次输入密码", again),
    captcha.node,
    box,
    h("div", { class: "actions" }, submit),
  );
  onSubmit(form, submit, async () => {
    if (again.value !== creds.password.value) {
      showMessage(box, "两次输入的密码不一致，请重新输入。");
      again.focus();
      return;
    }
    const login = creds.loginInput.value.trim();
    try {
      await post("/accounts", { login, password: creds.password.value, ...captcha.answer() });
      ctx.state.lastLogin = login;
      ctx.flash("注册成功，请登录。", "success");
      ctx.go("login");
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      await captcha.load();
      showMessage(box, describe(error));
      const focus = { INVALID_CAPTCHA: captcha.input, WEAK_PASSWORD: creds.password };
      (focus[error.code] ?? creds.loginInput).focus();
    }
  });
  await captcha.load();
  return h(
    "section",
    { class: "card narrow" },
    h("h1", {}, "注册通行证"),
    h("p", {}, "通行证账号用于报名、缴费和查看报名信息，请使用本人常用的邮箱或手机号。"),
    form,
    h("p", {}, "已有通行证？", h("a", { href: "#/login" }, "返回登录")),
  );
}
