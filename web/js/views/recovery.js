// 忘记密码 and 账户设置: a one-time code sent to the login, a new password or a new login (R-ACC-3, R-ACC-4).
import { ApiError, post, put, siteConfig } from "../api.js";
import { field, h, messageBox, onSubmit, showMessage } from "../dom.js";
import { describe, PASSWORD_POLICY } from "../messages.js";
import { captchaField } from "./account.js";

// A reset code has 6 digits; a staff member's activation code, set under 忘记密码 too, has 10 (R-ACC-6).
function codeInput({ activation = false } = {}) {
  return h("input", {
    name: "code",
    required: true,
    inputmode: "numeric",
    autocomplete: "one-time-code",
    pattern: activation ? "[0-9]{6}|[0-9]{10}" : "[0-9]{6}",
    maxlength: activation ? 10 : 6,
    class: "code-input",
  });
}

function passwordInput(name) {
  return h("input", { name, type: "password", required: true, autocomplete: "new-password", minlength: 8 });
}

/** Only on the local demo stack, which sends nothing: where its messages are. */
function localOutbox() {
  if (!siteConfig.demo) return null;
  return h("p", { class: "hint" }, "本地演示站点不会真的发送短信或邮件：验证码在", h("a", { href: "/outbox", target: "_blank" }, "本地发件箱"), "。");
}

/** The two steps of a reset: ask for a code (captcha), then set the password with it. */
function resetForms(ctx, { login = "", fixedLogin = false, done }) {
  const box = messageBox();
  const loginInput = h("input", { name: "login", required: true, autocomplete: "username", inputmode: "email", value: login, readonly: fixedLogin });
  const captcha = captchaField(box);
  const ask = h("button", { type: "submit", class: "primary" }, "获取验证码");
  // A code already received (a staff member's mailed activation code, R-OPS-3): no new one needed
  const haveCode = h("button", { type: "button", class: "link-button" }, "已有验证码或激活码");
  const askForm = h("form", { novalidate: true }, field("通行证账号（电子邮箱或手机号）", loginInput), captcha.node, box, h("div", { class: "actions" }, ask, haveCode));

  const setBox = messageBox();
  const code = codeInput({ activation: true });
  const password = passwordInput("new_password");
  const again = passwordInput("new_password2");
  const set = h("button", { type: "submit", class: "primary" }, "设置新密码");
  const anotherCode = h("button", { type: "button", class: "link-button" }, "没收到？重新获取验证码");
  const sentTo = h("p", { class: "message success" });
  const setForm = h(
    "form",
    { novalidate: true, hidden: true },
    sentTo,
    localOutbox(),
    field("短信或邮件验证码（6 位数字）", code, "短信或邮件中的验证码 10 分钟内有效，只能使用一次；输错 5 次需重新获取。工作人员首次设置密码时请输入 10 位激活码。"),
    field("新密码", password, PASSWORD_POLICY),
    field("再次输入新密码", again),
    setBox,
    h("div", { class: "actions" }, set, anotherCode),
  );

  onSubmit(askForm, ask, async () => {
    const typed = loginInput.value.trim();
    try {
      await post("/password-resets", { login: typed, ...captcha.answer() });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      await captcha.load();
      showMessage(box, describe(error));
      (error.code === "INVALID_CAPTCHA" ? captcha.input : loginInput).focus();
      return;
    }
    // The same answer whether or not the login exists (R-ACC-3): say so, and no more.
    sentTo.textContent = `如果 ${typed} 是已注册的通行证账号，验证码已发送到该邮箱或手机，请查收。`;
    askForm.hidden = true;
    setForm.hidden = false;
    code.focus();
  });
  haveCode.addEventListener("click", () => {
    const typed = loginInput.value.trim();
    if (!typed) {
      showMessage(box, "请先填写通行证账号（电子邮箱或手机号），再点“已有验证码或激活码”。");
      loginInput.focus();
      return;
    }
    showMessage(box, "");
    sentTo.textContent = `为 ${typed} 设置密码：请输入短信或邮件中的验证码（工作人员输入 10 位激活码）。`;
    askForm.hidden = true;
    setForm.hidden = false;
    code.focus();
  });
  anotherCode.addEventListener("click", async () => {
    setForm.hidden = true;
    askForm.hidden = false;
    showMessage(setBox, "");
    await captcha.load();
    captcha.input.focus();
  });
  onSubmit(setForm, set, async () => {
    if (again.value !== password.value) {
      showMessage(setBox, "两次输入的新密码不一致，请重新输入。");
      again.focus();
      return;
    }
    const typed = loginInput.value.trim();
    const ok = await ctx.attempt(setBox, () => post("/password-resets/confirm", { login: typed, code: code.value.trim(), new_password: password.value }));
    if (ok) done(typed);
  });
  return { askForm, setForm, load: () => captcha.load() };
}

/** 忘记密码 */
export async function forgotView(ctx) {
  const forms = resetForms(ctx, {
    login: ctx.state.lastLogin ?? "",
    done: (login) => {
      ctx.state.lastLogin = login;
      ctx.flash("密码已重设，所有设备上的登录均已退出。请用新密码登录。", "success");
      ctx.go("login");
    },
  });
  await forms.load();
  return h(
    "section",
    { class: "card narrow" },
    h("h1", {}, "找回密码"),
    h("p", {}, "我们会向您的通行证账号（邮箱或手机号）发送 6 位验证码，用它设置新密码。"),
    forms.askForm,
    forms.setForm,
    h("p", {}, h("a", { href: "#/login" }, "返回登录")),
  );
}

/** 更换通行证账号: a code to the new address, then the code and the current password. */
function loginChange(ctx) {
  const box = messageBox();
  const newLogin = h("input", { name: "new_login", required: true, autocomplete: "off", inputmode: "email" });
  const send = h("button", { type: "submit", class: "primary" }, "向新账号发送验证码");
  const askForm = h("form", { novalidate: true }, field("新的通行证账号（电子邮箱或手机号）", newLogin), box, h("div", { class: "actions" }, send));

  const changeBox = messageBox();
  const code = codeInput();
  const password = h("input", { name: "password", type: "password", required: true, autocomplete: "current-password" });
  const change = h("button", { type: "submit", class: "primary" }, "确认更换");
  const sentTo = h("p", { class: "message success" });
  const changeForm = h(
    "form",
    { novalidate: true, hidden: true },
    sentTo,
    localOutbox(),
    field("新账号收到的短信或邮件验证码（6 位数字）", code, "10 分钟内有效，只能使用一次。"),
    field("当前密码", password),
    changeBox,
    h("div", { class: "actions" }, change),
  );
  onSubmit(askForm, send, async () => {
    const typed = newLogin.value.trim();
    const ok = await ctx.attempt(box, () => post("/me/login-codes", { new_login: typed }));
    if (!ok) return;
    sentTo.textContent = `验证码已发送到 ${typed}，请查收。`;
    askForm.hidden = true;
    changeForm.hidden = false;
    code.focus();
  });
  onSubmit(changeForm, change, async () => {
    const changed = await ctx.attempt(changeBox, () =>
      put("/me/login", { new_login: newLogin.value.trim(), code: code.value.trim(), password: password.value }),
    );
    if (!changed) return;
    ctx.flash(`通行证账号已更换为 ${changed.login}。原账号已停用，今后请用新账号登录。`, "success");
    ctx.reload();
  });
  return h("section", { class: "card" }, h("h2", {}, "更换通行证账号"), h("p", {}, "更换手机号或邮箱：验证码发往新的账号；原账号立即停用，30 天内他人不能使用。"), askForm, changeForm);
}

/** 账户设置 */
export async function settingsView(ctx) {
  const me = ctx.me;
  const reset = resetForms(ctx, {
    login: me.login,
    fixedLogin: true,
    done: (login) => {
      ctx.signOut();
      ctx.state.lastLogin = login;
      ctx.flash("密码已修改，所有设备上的登录均已退出。请用新密码重新登录。", "success");
      ctx.go("login");
    },
  });
  await reset.load();
  return h(
    "div",
    { class: "stack" },
    h("section", { class: "card" }, h("h1", {}, "账户设置"), h("p", {}, `当前通行证账号：${me.login}`)),
    loginChange(ctx),
    h("section", { class: "card" }, h("h2", {}, "修改密码"), h("p", {}, "验证码发往当前通行证账号；修改后所有设备上的登录都会退出。"), reset.askForm, reset.setForm),
  );
}
