"""The student keeps control of the account on the page: 忘记密码 (R-ACC-3) and 账户设置 (R-ACC-4),
with the code read from the local stack's outbox as the student would read it on the phone."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import expect

from devstack.walkthrough import Api
from tests.browser.flows import PASSWORD, Identity, Student, new_login
from tests.browser.test_student_page import Opener, signed_in_as, unused_student
from tests.stack import DEMO_STAFF_PASSWORD

NEW_PASSWORD = "Zhaohui2026mm"


def paid_student(site: str, identity: Identity) -> tuple[Api, str]:
    """A student who registered, chose CET4 and paid, all through the API: (api, login)."""
    api = Api(site + "/api")
    login = new_login()
    api.expect(201, "POST", "/accounts", {"login": login, "password": PASSWORD, **api.captcha()})
    api.token = api.expect(201, "POST", "/sessions", {"login": login, "password": PASSWORD, **api.captcha()})["token"]
    api.expect(204, "POST", "/me/agreement", {"accepted": True})
    api.expect(201, "POST", "/registration", {**identity.body(), "confirm": True})
    api.expect(201, "POST", "/registration/subjects", {"subject": "CET4"})
    order = api.expect(201, "POST", "/orders", {"provider": "alipay"})
    api.expect(200, "POST", f"/_test/gateway/{order['order_id']}/pay")
    return api, login


def code_sent_to(site: str, login: str, kind: str) -> str:
    messages: list[dict[str, Any]] = Api(site + "/api").expect(200, "GET", f"/_test/outbox?to={login}")
    return str([m for m in messages if m["kind"] == kind][-1]["code"])


def test_r_acc_3_a_student_who_forgot_the_password_recovers_it_and_sees_the_paid_registration(
    open_page: Opener, site: str
) -> None:
    """R-ACC-3 on a phone: 忘记密码 → the code from the message → a new password → 登录 → paid."""
    api, login = paid_student(site, unused_student(school="dcu", campus="dcu-main", qualified=["CET4"], skip=42))
    browsing = open_page(360, 740, is_mobile=True)
    student = Student(browsing)
    student.heading("登录报名系统")
    student.press(student.link("忘记密码？"))
    student.heading("找回密码")
    student.type_into("通行证账号（电子邮箱或手机号）", login)
    student.type_into("图形验证码", browsing.captcha())
    browsing.shot("forgot")
    student.press(student.button("获取验证码"))
    expect(student.page.get_by_text("验证码已发送到该邮箱或手机")).to_be_visible()
    student.type_into("短信或邮件验证码（6 位数字）", code_sent_to(site, login, "password_reset"))
    student.type_into("新密码", NEW_PASSWORD)
    student.type_into("再次输入新密码", NEW_PASSWORD)
    browsing.shot("new-password")
    student.press(student.button("设置新密码"))
    student.heading("登录报名系统")
    expect(student.page.get_by_role("status")).to_contain_text("密码已重设")
    assert api.call("GET", "/me")[0] == 401  # every session of the account ended
    student.log_in(login, NEW_PASSWORD)
    student.heading("报名首页")
    expect(student.page.get_by_text("报名完成：所有已报考科目均已缴费。")).to_be_visible()
    browsing.shot("home-paid")
    browsing.check(expected_refusals=[])


def test_r_acc_4_a_student_changes_the_login_in_account_settings(open_page: Opener, site: str) -> None:
    """R-ACC-4: 账户设置 → a code to the new phone number → the current password → the new login;
    the old one signs nobody in."""
    api, old = paid_student(site, unused_student(school="dcu", campus="dcu-main", qualified=["CET4"], skip=43))
    new = f"139{abs(hash(old)) % 10**8:08d}"
    browsing = open_page()
    student = signed_in_as(browsing, api, "home")
    student.heading("报名首页")
    student.press(student.link("账户设置"))
    student.heading("账户设置")
    expect(student.page.get_by_text(f"当前通行证账号：{old}")).to_be_visible()
    student.type_into("新的通行证账号（电子邮箱或手机号）", new)
    student.press(student.button("向新账号发送验证码"))
    expect(student.page.get_by_text(f"验证码已发送到 {new}，请查收。")).to_be_visible()
    student.type_into("新账号收到的短信或邮件验证码（6 位数字）", code_sent_to(site, new, "login_change"))
    student.type_into("当前密码", PASSWORD)
    browsing.shot("change-login")
    student.press(student.button("确认更换"))
    expect(student.page.get_by_role("status")).to_contain_text(f"通行证账号已更换为 {new}")
    expect(student.page.locator("#account")).to_contain_text(f"通行证：{new}")
    browsing.shot("changed")
    student.press(student.button("退出"))
    student.log_in(old)
    expect(student.error()).to_contain_text("账号或密码错误")
    student.log_in(new)
    student.heading("报名首页")
    browsing.check(expected_refusals=["BAD_CREDENTIALS"])


def activation_code(site: str, login: str) -> str:
    """The staff_activation code the demo load sent (the stack's jobs fill the outbox: waited for)."""
    deadline = time.monotonic() + 60
    while True:
        messages: list[dict[str, Any]] = Api(site + "/api").expect(200, "GET", f"/_test/outbox?to={login}")
        found = [m for m in messages if m["kind"] == "staff_activation"]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert found, f"no staff_activation message for {login}"
    assert "点“已有验证码或激活码”" in found[-1]["body"], found[-1]["body"]
    return str(found[-1]["code"])


def test_r_ops_3_a_staff_member_sets_the_password_with_the_mailed_activation_code(open_page: Opener, site: str) -> None:
    """R-OPS-3 as the message says: 忘记密码 → 已有验证码或激活码 → the 10-digit code → a password.
    The staff member first asks for a code anyway (the probe's path): the mailed code still works."""
    login = "staff@hcc.edu.cn"
    code = activation_code(site, login)
    browsing = open_page()
    staff = Student(browsing)
    staff.heading("登录报名系统")
    staff.press(staff.link("忘记密码？"))
    staff.heading("找回密码")
    staff.press(staff.button("已有验证码或激活码"))
    expect(staff.error()).to_contain_text("请先填写通行证账号")
    staff.type_into("通行证账号（电子邮箱或手机号）", login)
    staff.type_into("图形验证码", browsing.captcha())
    staff.press(staff.button("获取验证码"))  # a reset code is sent: the activation code stays good
    expect(staff.page.get_by_text("验证码已发送到该邮箱或手机")).to_be_visible()
    staff.press(staff.button("没收到？重新获取验证码"))
    staff.press(staff.button("已有验证码或激活码"))
    expect(staff.page.get_by_text(f"为 {login} 设置密码")).to_be_visible()
    staff.type_into("短信或邮件验证码（6 位数字）", code)
    staff.type_into("新密码", DEMO_STAFF_PASSWORD)
    staff.type_into("再次输入新密码", DEMO_STAFF_PASSWORD)
    browsing.shot("activation-code")
    staff.press(staff.button("设置新密码"))
    staff.heading("登录报名系统")
    expect(staff.page.get_by_role("status")).to_contain_text("密码已重设")
    staff.log_in(login, DEMO_STAFF_PASSWORD)
    staff.heading("CET6资格复核（学校负责老师）")
    browsing.check(expected_refusals=[])


def test_r_acc_3_a_wrong_code_says_how_many_tries_are_left(open_page: Opener, site: str) -> None:
    """R-ACC-3: each wrong code on 找回密码 says the tries left; the two fields called 验证码 before
    are 图形验证码 (the picture) and 短信或邮件验证码 (the code sent)."""
    api = Api(site + "/api")
    login = new_login()
    api.expect(201, "POST", "/accounts", {"login": login, "password": PASSWORD, **api.captcha()})
    browsing = open_page(360, 740, is_mobile=True)
    student = Student(browsing)
    student.press(student.link("忘记密码？"))
    student.heading("找回密码")
    student.type_into("通行证账号（电子邮箱或手机号）", login)
    student.type_into("图形验证码", browsing.captcha())
    student.press(student.button("获取验证码"))
    code = code_sent_to(site, login, "password_reset")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3):
        student.type_into("短信或邮件验证码（6 位数字）", wrong)
        student.type_into("新密码", NEW_PASSWORD)
        student.type_into("再次输入新密码", NEW_PASSWORD)
        student.press(student.button("设置新密码"))
        expect(student.error()).to_contain_text(f"最多还可再试 {left} 次")
    browsing.shot("wrong-code")
    student.type_into("短信或邮件验证码（6 位数字）", code)
    student.press(student.button("设置新密码"))
    student.heading("登录报名系统")
    browsing.check(expected_refusals=["INVALID_CODE", "INVALID_CODE"])


def test_r_qual_1_the_agreement_can_be_ticked_only_once_read_to_its_end(open_page: Opener, site: str) -> None:
    """R-QUAL-1 on a phone: the box is disabled, saying why, until the text is scrolled to its end."""
    api = Api(site + "/api")
    login = new_login()
    api.expect(201, "POST", "/accounts", {"login": login, "password": PASSWORD, **api.captcha()})
    api.token = api.expect(201, "POST", "/sessions", {"login": login, "password": PASSWORD, **api.captcha()})["token"]
    browsing = open_page(360, 740, is_mobile=True)
    student = signed_in_as(browsing, api, "agreement")
    student.heading("报名协议")
    accept = student.page.get_by_label("我已阅读并同意以上报名协议")
    expect(accept).to_be_disabled()
    expect(student.page.get_by_text("请先阅读协议全文（滚动到末尾）")).to_be_visible()
    browsing.shot("agreement-unread")
    student.read_agreement()
    expect(student.page.get_by_text("您已阅读到协议末尾，可以勾选同意。")).to_be_visible()
    student.tick("我已阅读并同意以上报名协议")
    browsing.shot("agreement-read")
    student.press(student.button("同意"))
    student.heading("资格信息查询")
    browsing.check(expected_refusals=[])
