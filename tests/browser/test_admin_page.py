"""The province administrator's page (R-OPS-1, R-OPS-2, R-ORAL-3): the overview, refreshed every 30
seconds, a capacity refused below the seats taken then changed, a window, a notice, the change log.

On a stack of its own: the demo province with one more `staff` entry, a province administrator with
no password (api.md, "Added: province administration"), who activates through the outbox like any
staff member: the `staff_activation` code from `GET /_test/outbox`, then `/password-resets/confirm`.
Screenshots of every step: test-artifacts/browser/<test>/.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from devstack.walkthrough import Api
from tests.browser.conftest import Browsing
from tests.browser.flows import DEMO, Student, api_student, dcu_students
from tests.stack import start_stack, stop

Opener = Callable[..., Browsing]
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
ADMIN = "cet-admin@province.example.cn"
ADMIN_PASSWORD = "Admin2026prov"
BEIHU = "dcu-beihu/CET-SET4"  # 2 seats (the demo's small campus)
NYIT_WINDOW = "2024/01/01 00:00 至 2099/10/31 17:00（北京时间）"  # the demo's, as the page writes it


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`make run` in test mode on moto, for this module alone, on the demo province plus its
    administrator: a `staff` entry with `"role": "province"`, no school and no password."""
    dataset = {**DEMO, "staff": [*DEMO.get("staff", []), {"login": ADMIN, "role": "province"}]}
    path: Path = tmp_path_factory.mktemp("admin") / "province.json"
    path.write_text(json.dumps(dataset, ensure_ascii=False), encoding="utf-8")
    stack = start_stack({"AWS_ENDPOINT_URL_DYNAMODB": "", "DEVSTACK_JOB_SECONDS": "3600", "DATASET": str(path)})
    yield stack.base
    output = stop(stack)
    assert "Traceback" not in output, output


def activate_admin(site: str) -> Api:
    """The administrator's `staff_activation` code from the outbox sets the password (R-OPS-3);
    the returned client is signed in as the administrator."""
    api = Api(site + "/api")
    messages: list[dict[str, Any]] = api.expect(200, "GET", f"/_test/outbox?to={ADMIN}")
    codes = [m["code"] for m in messages if m["kind"] == "staff_activation"]
    assert len(codes) == 1, messages
    activation = {"login": ADMIN, "code": codes[0], "new_password": ADMIN_PASSWORD}
    api.expect(204, "POST", "/password-resets/confirm", activation)
    login = {"login": ADMIN, "password": ADMIN_PASSWORD}
    api.token = api.expect(201, "POST", "/sessions", {**login, **api.captcha()})["token"]
    assert api.expect(200, "GET", "/me")["role"] == "province"
    return api


def seat_line(api: Api, campus_id: str, subject: str) -> dict[str, Any]:
    seats: list[dict[str, Any]] = api.expect(200, "GET", "/admin/overview")["seats"]
    return next(s for s in seats if (s["campus_id"], s["subject"]) == (campus_id, subject))


def seat_row(page: Page) -> Any:
    return page.locator(f'tr[data-seat="{BEIHU}"]')


def test_r_ops_1_r_ops_2_the_administrator_watches_the_province_and_changes_it_with_a_confirmation(
    open_page: Opener, site: str
) -> None:
    """R-OPS-1 at 360 px: registrations saved (a tile and the per-hour chart), seats per campus (named
    by the campus's name) with the capacity bar and R-ORAL-3's colour, orders and the paid amount,
    pending reviews, late payments; a registration saved meanwhile shows after the 30-second
    refresh. R-OPS-2: a capacity below the seats taken is refused with how many are taken, then a
    higher one is confirmed (before → after) and taken; a window likewise, its 修改前 the school's
    window from the overview though it was never changed; a notice likewise; the change log lists
    the three changes, newest first, and nothing for the refusal."""
    first, second = dcu_students(2)
    holder, _ = api_student(site, first)
    holder.expect(201, "POST", "/registration/subjects", {"subject": "CET-SET4", "campus_id": "dcu-beihu"})
    admin_api = activate_admin(site)
    assert seat_line(admin_api, "dcu-beihu", "CET-SET4")["taken"] == 1

    browsing = open_page(360, 740, is_mobile=True, has_touch=True)
    page = browsing.page
    page.clock.install()  # the page's 30-second refresh, fast-forwarded below
    page.reload()
    admin = Student(browsing)
    admin.log_in(ADMIN, ADMIN_PASSWORD)
    admin.heading("全省报名概况")
    expect(page.get_by_role("link", name="全省概况")).to_be_visible()
    saved = page.locator(".tile", has_text="已保存报名")
    expect(saved).to_contain_text("1 人")
    expect(page.get_by_role("img", name=re.compile("每小时保存报名人数"))).to_be_visible()
    expect(seat_row(page).get_by_role("rowheader")).to_have_text("东川大学北湖校区（口试小考场） · 英语四级口试")
    expect(seat_row(page)).to_contain_text("已占用 1 / 容量 2")
    expect(seat_row(page)).to_contain_text("余量：紧张")  # 1 of 2 left: half or less (R-ORAL-3)
    expect(page.locator(".tile", has_text="已缴费金额")).to_contain_text("0.00 元")
    expect(page.locator(".tile", has_text="待支付")).to_contain_text("笔")
    expect(page.get_by_text("逾期到账的缴费：")).to_contain_text("0 笔")
    updated = page.locator(".updated").inner_text()
    assert re.search(r"更新于 \d{2}:\d{2}:\d{2}（北京时间）", updated), updated
    assert page.evaluate(OVERFLOW) <= 0
    browsing.shot("overview")

    api_student(site, second)  # another registration saved while the page is open
    page.clock.fast_forward("00:31")
    expect(saved).to_contain_text("2 人")
    expect(page.locator(".updated")).not_to_have_text(updated)

    # a capacity below the seats taken: refused, and the page says how many are taken
    page.get_by_label("考位（校区 · 科目）").select_option(BEIHU)
    expect(page.get_by_label("新容量")).to_have_value("2")
    admin.type_into("新容量", "0")
    admin.press(admin.button("修改容量"))
    dialog = page.get_by_role("dialog", name="确认修改考位容量")
    expect(dialog).to_contain_text("修改前容量 2")
    expect(dialog).to_contain_text("修改后容量 0")
    admin.dialog_confirm("确认修改考位容量", "确认修改")
    expect(admin.error()).to_contain_text("不能低于已占用的 1 个座位")
    assert seat_line(admin_api, "dcu-beihu", "CET-SET4")["capacity"] == 2
    browsing.shot("capacity-refused")

    admin.type_into("新容量", "3")
    admin.press(admin.button("修改容量"))
    admin.dialog_confirm("确认修改考位容量", "确认修改")
    expect(page.get_by_text("容量由 2 改为 3")).to_be_visible()
    expect(seat_row(page)).to_contain_text("已占用 1 / 容量 3")
    expect(seat_row(page)).to_contain_text("余量：充足")  # 2 of 3 left: more than half
    assert seat_line(admin_api, "dcu-beihu", "CET-SET4")["capacity"] == 3

    # the window form shows each school's window from the overview, never changed before
    page.get_by_label("学校", exact=True).select_option("hcc")
    expect(page.get_by_text("当前报名时间：")).to_have_text(
        "当前报名时间：2024/03/01 09:00 至 2024/03/15 17:00（北京时间）（现在未开放）"
    )
    page.get_by_label("学校", exact=True).select_option("nyit")
    expect(page.get_by_text("当前报名时间：")).to_have_text(f"当前报名时间：{NYIT_WINDOW}（现在开放）")
    expect(page.get_by_label("开始时间（北京时间）")).to_have_value("2024-01-01T00:00")
    admin.type_into("开始时间（北京时间）", "2024-01-01T00:00")
    admin.type_into("截止时间（北京时间）", "2099-10-30T17:00")
    admin.press(admin.button("修改报名时间"))
    dialog = page.get_by_role("dialog", name="确认修改报名时间")
    expect(dialog).to_contain_text("南屿理工学院")
    expect(dialog).to_contain_text(f"修改前{NYIT_WINDOW}")
    expect(dialog).to_contain_text("修改后2024/01/01 00:00 至 2099/10/30 17:00（北京时间）")
    admin.dialog_confirm("确认修改报名时间", "确认修改")
    expect(page.get_by_text("已将南屿理工学院的报名时间改为")).to_be_visible()

    notice = f"示例省考生请留意：口试考场安排已更新（{secrets.token_hex(3)}）。"
    page.get_by_label("通告对象").select_option("province")
    expect(page.get_by_label("通告内容")).to_have_value(DEMO["province"]["notice"])
    admin.type_into("通告内容", notice)
    admin.press(admin.button("修改通告"))
    dialog = page.get_by_role("dialog", name="确认修改通告")
    expect(dialog).to_contain_text(DEMO["province"]["notice"])
    expect(dialog).to_contain_text(notice)
    admin.dialog_confirm("确认修改通告", "确认修改")
    expect(page.get_by_text("已修改全省通告。")).to_be_visible()
    assert Api(site + "/api").expect(200, "GET", "/notices")["province"]["notice"] == notice

    log = page.get_by_role("table", name=re.compile("修改记录"))
    rows = log.locator("tbody tr")
    expect(rows).to_have_count(3)  # the refused capacity changed nothing and is not a change
    expect(rows.nth(0)).to_contain_text(notice)
    expect(rows.nth(1)).to_contain_text("2099/10/30 17:00")
    expect(rows.nth(2).locator('td[data-label="修改后"]')).to_have_text(re.compile(r"(^|\D)3$"))
    assert page.evaluate(OVERFLOW) <= 0
    browsing.shot("change-log")
    browsing.check(expected_refusals=["CAPACITY_BELOW_TAKEN"])

    wide = open_page(1280, 900)
    wide.page.evaluate("token => sessionStorage.setItem('cet.token', token)", admin_api.token)
    wide.page.goto(f"{wide.base}/#/province")
    Student(wide).heading("全省报名概况")
    expect(seat_row(wide.page)).to_contain_text("已占用 1 / 容量 3")
    wide.shot("overview-wide")
    wide.check(expected_refusals=[])


def test_r_ops_1_the_overview_is_the_administrators_page_only(open_page: Opener, site: str) -> None:
    """R-OPS-1: a student who opens #/province lands on 报名首页, with no figure of the province."""
    student, _ = api_student(site, dcu_students(3)[2])
    browsing = open_page(360, 740, is_mobile=True, has_touch=True)
    browsing.page.evaluate("token => sessionStorage.setItem('cet.token', token)", student.token)
    browsing.page.goto(f"{browsing.base}/#/province")
    Student(browsing).heading("报名首页")
    expect(browsing.page.get_by_text("全省报名概况")).to_have_count(0)
    browsing.check(expected_refusals=[])
