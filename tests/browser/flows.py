"""The student's steps on the page, as a student takes them: by the labels and names on screen.

Every locator goes through a label or an accessible name, so a control without one fails here.
With `keyboard=True` each control is reached by focus and worked with keys only (Enter, Space, typing).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Locator, expect

from devstack.walkthrough import Api
from tests.browser.conftest import Browsing
from tests.stack import ROOT

PASSWORD = "Cet2026demo"
DEMO = json.loads((ROOT / "devstack" / "demo_province.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Identity:
    id_type: str
    id_number: str
    name: str

    def body(self) -> dict[str, str]:
        return {"id_type": self.id_type, "id_number": self.id_number, "name": self.name}


def roll_entry(name: str) -> Identity:
    entry = next(e for e in DEMO["roll"] if e["name"] == name)
    return Identity(entry["id_type"], entry["id_number"], entry["name"])


def new_login() -> str:
    return f"stu-{secrets.token_hex(4)}@example.cn"


class Student:
    """The page, driven by mouse or by keyboard."""

    def __init__(self, browsing: Browsing, keyboard: bool = False) -> None:
        self.browsing = browsing
        self.page = browsing.page
        self.keyboard = keyboard

    # -- primitives ------------------------------------------------------------------------------
    def type_into(self, label: str, text: str) -> None:
        box = self.page.get_by_label(label, exact=True)
        if self.keyboard:
            box.focus()
            self.page.keyboard.press("Control+A")
            self.page.keyboard.type(text)
        else:
            box.fill(text)

    def press(self, control: Locator) -> None:
        if self.keyboard:
            control.focus()
            expect(control).to_be_focused()
            self.page.keyboard.press("Enter")
        else:
            control.click()

    def read_agreement(self) -> None:
        """R-QUAL-1: the agreement scrolled to its end, as a reader would (End on the focused text,
        or the wheel over it); only then can it be ticked."""
        text = self.page.get_by_role("region", name="报名协议全文")
        if self.keyboard:
            text.focus()
            self.page.keyboard.press("End")
        else:
            text.hover()
            self.page.mouse.wheel(0, 4000)
        expect(self.page.get_by_label("我已阅读并同意以上报名协议")).to_be_enabled()

    def tick(self, label: str) -> None:
        box = self.page.get_by_label(label)
        if self.keyboard:
            box.focus()
            expect(box).to_be_focused()
            self.page.keyboard.press("Space")
        else:
            box.check()
        expect(box).to_be_checked()

    def button(self, name: str) -> Locator:
        return self.page.get_by_role("button", name=name, exact=True)

    def link(self, name: str) -> Locator:
        return self.page.get_by_role("link", name=name, exact=True)

    def heading(self, text: str) -> None:
        expect(self.page.get_by_role("heading", level=1)).to_have_text(text)

    def dialog_confirm(self, title: str, button: str) -> None:
        dialog = self.page.get_by_role("dialog", name=title)
        expect(dialog).to_be_visible()
        self.browsing.shot(f"dialog-{title}")
        if self.keyboard:
            expect(dialog.get_by_role("button", name=button)).to_be_focused()
            self.page.keyboard.press("Enter")
        else:
            dialog.get_by_role("button", name=button).click()
        expect(dialog).to_have_count(0)

    def error(self) -> Locator:
        return self.page.locator(".message.error:visible")

    # -- steps ------------------------------------------------------------------------------------
    def register(self, login: str) -> None:
        self.heading("登录报名系统")
        self.browsing.shot("login")
        self.press(self.link("点击注册"))
        self.heading("注册通行证")
        self.type_into("通行证账号（电子邮箱或手机号）", login)
        self.type_into("密码", PASSWORD)
        self.type_into("再次输入密码", PASSWORD)
        self.type_into("图形验证码", self.browsing.captcha())
        self.browsing.shot("register")
        self.press(self.button("注册"))
        self.heading("登录报名系统")
        expect(self.page.get_by_role("status")).to_contain_text("注册成功")

    def log_in(self, login: str, password: str = PASSWORD) -> None:
        self.heading("登录报名系统")
        self.type_into("通行证账号（电子邮箱或手机号）", login)
        self.type_into("密码", password)
        self.type_into("图形验证码", self.browsing.captcha())
        self.press(self.button("登录"))

    def enrol(self, identity: Identity, save: bool = True, demo: str | None = None) -> None:
        """From the home page: agreement, lookup, confirmation, and save (R-QUAL-1..3, R-BIND-1)."""
        self.heading("报名首页")
        self.browsing.shot("home-new")
        self.press(self.link("开始报名"))
        self.heading("报名协议")
        self.read_agreement()
        self.tick("我已阅读并同意以上报名协议")
        self.browsing.shot("agreement")
        self.press(self.button("同意"))
        self.heading("资格信息查询")
        if demo:  # what a newcomer on `make run` does: the demo province's guide fills the form
            self.press(self.page.get_by_text("示例考生（仅本地演示站点）"))
            self.press(self.button(f"填入{demo}"))
            expect(self.page.get_by_label("证件号码", exact=True)).to_have_value(identity.id_number)
            expect(self.page.get_by_label("姓名", exact=True)).to_have_value(identity.name)
        else:
            self.page.get_by_label("证件类型").select_option(identity.id_type)
            self.type_into("证件号码", identity.id_number)
            self.type_into("姓名", identity.name)
        self.browsing.shot("lookup")
        self.press(self.button("查询"))
        self.heading("资格信息确认")
        expect(self.page.locator("dl.facts")).to_contain_text(identity.name)
        self.browsing.shot("confirm")
        if save:
            self.save()

    def save(self) -> None:
        self.tick("我已核对以上学籍信息与资格信息，确认无误")
        self.press(self.button("保存并继续"))
        self.dialog_confirm("保存报名信息", "确定保存")
        self.heading("笔试报考")
        expect(self.page.get_by_role("status")).to_contain_text("保存成功")

    def choose_written(self, label: str) -> None:
        self.heading("笔试报考")
        self.tick("我已阅读报考须知及省通告")
        self.tick(label)
        self.browsing.shot("written")
        self.press(self.button("提交"))

    def open_oral(self, subject_label: str) -> None:
        self.press(self.link("口试报考"))
        self.heading("口试报考")
        self.tick(subject_label)
        expect(self.page.get_by_role("group", name="选择报名校区")).to_be_visible()

    def choose_campus(self, campus_name: str) -> None:
        self.tick(campus_name)
        expect(self.page.locator(".notice[aria-live]")).to_contain_text("通告")
        self.browsing.shot("oral")
        self.press(self.button("提交"))

    def pay(self, provider_label: str, bank: str | None = None, button: str = "支付") -> None:
        """R-PAY-2: the order, confirmed twice, the platform's page, 支付 (or 取消), and back home."""
        self.press(self.link("支付"))
        self.heading("缴费")
        self.tick(provider_label)
        if bank:
            self.page.get_by_label("支付银行").select_option(bank)
        self.browsing.shot("pay")
        self.press(self.button("去支付"))
        self.dialog_confirm("确认报考信息", "确认无误")
        self.dialog_confirm("再次确认", "确定")
        self.page.wait_for_url(re.compile(r".*/sandbox/.*"))
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("模拟")
        self.browsing.shot("sandbox")
        self.press(self.button(button))
        # back home after the page's own wait for the notification (payment.js settleReturn: up to
        # five reads 600 ms apart), which on a loaded machine outlasts the usual 5 s
        expect(self.page.get_by_role("heading", level=1)).to_have_text("报名首页", timeout=20_000)


def api_student(
    base: str, identity: Identity, written: str = "CET4", login_name: str | None = None
) -> tuple[Api, dict[str, Any]]:
    """Another student, through the API only: an account (`login_name`, or a new one), the saved
    registration, a written subject."""
    api = Api(base + "/api")
    login = {"login": login_name or new_login(), "password": PASSWORD}
    api.expect(201, "POST", "/accounts", {**login, **api.captcha()})
    api.token = api.expect(201, "POST", "/sessions", {**login, **api.captcha()})["token"]
    api.expect(204, "POST", "/me/agreement", {"accepted": True})
    api.expect(201, "POST", "/registration", {**identity.body(), "confirm": True})
    registration = api.expect(201, "POST", "/registration/subjects", {"subject": written})
    return api, registration


# The demo guide's named students (README): other walks leave them alone.
DEMO_GUIDE_NAMES = frozenset(
    {"贺鑫阳", "武超宁", "许玲", "梁博睿", "何静悦", "梁怡若", "马林鹏", "侯鹏浩", "宋英", "徐林豪"}
)


def dcu_students(count: int) -> list[Identity]:
    """Roll entries of 东川大学 with CET4 only, none of the demo guide's named students."""
    fits = [
        Identity(e["id_type"], e["id_number"], e["name"])
        for e in DEMO["roll"]
        if e["school_id"] == "dcu"
        and e["qualified_subjects"] == ["CET4"]
        and e["id_type"] == "resident_id"
        and e["name"] not in DEMO_GUIDE_NAMES
        and not e["cet6_barred"]
    ]
    return fits[:count]
