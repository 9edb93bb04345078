"""The student page (issue: every step in a real browser), on the demo province of `make run`.

Screenshots of every step: test-artifacts/browser/<test>/.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import expect

from devstack.walkthrough import Api
from tests.browser.conftest import Browsing
from tests.browser.flows import DEMO, Identity, Student, api_student, new_login, roll_entry
from tests.stack import DEMO_STAFF_PASSWORD, activate_staff

Opener = Callable[..., Browsing]


def signed_up(browsing: Browsing, keyboard: bool = False) -> tuple[Browsing, Student, str]:
    """A new student on the page: 注册 with the captcha, then 登录."""
    student = Student(browsing, keyboard=keyboard)
    login = new_login()
    student.register(login)
    student.log_in(login)
    return browsing, student, login


def test_a_new_student_registers_chooses_written_and_oral_and_pays(open_page: Opener) -> None:
    """R-ACC-1, R-QUAL-1..3, R-BIND-1, R-WRIT-1, R-ORAL-3/4, R-PAY-2/4: the whole flow to "paid"."""
    browsing, student, _login = signed_up(open_page())
    student.enrol(roll_entry("贺鑫阳"), demo="普通四级考生")
    student.choose_written("英语四级（CET4）")
    student.heading("报名信息")
    expect(student.page.locator("table.subjects")).to_contain_text("英语四级")
    expect(student.page.locator(".countdown").first).to_contain_text("剩余 23 小时")
    browsing.shot("registration-written")
    student.open_oral("英语四级口试（CET-SET4）")
    campuses = student.page.get_by_role("group", name="选择报名校区")
    expect(campuses).to_contain_text("余量：充足")  # R-ORAL-3: the word beside the colour
    student.choose_campus("东川大学本部校区")
    student.heading("报名信息")
    expect(student.page.locator("table.subjects")).to_contain_text("英语四级口试")
    expect(student.page.locator(".due")).to_contain_text("80.00 元")
    browsing.shot("registration-oral")
    student.pay("支付宝", button="取消")  # changed their mind on the platform's page
    order = student.page.get_by_role("region", name="未完成的订单")
    expect(order).to_contain_text("待支付")
    expect(student.page.locator(".countdown").first).to_contain_text("剩余")
    browsing.shot("home-open-order")
    student.press(order.get_by_role("link", name="继续支付"))
    expect(student.page.get_by_role("heading", level=1)).to_contain_text("模拟支付宝")
    student.press(student.button("支付"))
    student.heading("报名首页")
    expect(student.page.get_by_role("status")).to_contain_text("缴费成功")
    expect(student.page.locator(".message.success").last).to_contain_text("报名完成")
    expect(student.page.locator("table.subjects")).not_to_contain_text("未缴费")
    browsing.shot("paid")
    browsing.check(expected_refusals=[])


def test_r_pay_3_update_finds_a_payment_whose_notification_was_lost(open_page: Opener, site: str) -> None:
    """R-PAY-3: the bank took the money, the notification never came; 更新 asks and settles."""
    student_api, _ = api_student(site, unused_student(school="dcu", campus="dcu-main", qualified=["CET4"], skip=4))
    placed = student_api.expect(201, "POST", "/orders", {"provider": "bank", "bank": "ICBC"})
    student_api.expect(200, "POST", f"/_test/gateway/{placed['order_id']}/pay?deliveries=0")
    browsing = open_page()
    page = browsing.page
    student = signed_in_as(browsing, student_api, "home")
    student.heading("报名首页")
    order = page.get_by_role("region", name="未完成的订单")
    expect(order).to_contain_text("待支付")
    expect(page.locator("table.subjects")).to_contain_text("未缴费")
    browsing.shot("charged-but-unpaid")
    student.press(order.get_by_role("button", name="更新"))
    expect(page.get_by_role("status")).to_contain_text("缴费成功")
    expect(page.locator("table.subjects")).not_to_contain_text("未缴费")
    expect(page.get_by_role("region", name="未完成的订单")).to_have_count(0)
    browsing.shot("updated")
    browsing.check(expected_refusals=[])


def test_the_whole_flow_at_phone_width_by_keyboard_through_the_bank_gateway(open_page: Opener) -> None:
    """360 px, keys only: nothing wider than the screen, every control reachable (R-PAY-2 bank)."""
    browsing, student, _ = signed_up(open_page(360, 740, is_mobile=True, has_touch=True), keyboard=True)
    page = student.page
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(overflow) <= 0
    student.enrol(unused_student(school="dcu", campus="dcu-main", qualified=["CET4"], skip=2))
    assert page.evaluate(overflow) <= 0
    student.press(page.get_by_role("link", name="跳到正文"))  # the skip link stays on this step
    student.heading("笔试报考")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    student.choose_written("英语四级（CET4）")
    student.heading("报名信息")
    assert page.evaluate(overflow) <= 0
    student.open_oral("英语四级口试（CET-SET4）")
    assert page.evaluate(overflow) <= 0
    student.choose_campus("南屿理工学院本部校区")
    student.heading("报名信息")
    assert page.evaluate(overflow) <= 0
    student.pay("首信易支付（网上银行）", bank="CMB")
    expect(page.get_by_role("status")).to_contain_text("缴费成功")
    assert page.evaluate(overflow) <= 0
    browsing.shot("paid")
    browsing.check(expected_refusals=[])


def unused_student(school: str, campus: str, qualified: list[str], skip: int = 0) -> Identity:
    """A roll entry no other test uses: the demo identities are named, these are not."""
    named = {"贺鑫阳", "武超宁", "许玲", "梁博睿", "何静悦", "梁怡若", "马林鹏", "侯鹏浩", "宋英", "徐林豪"}
    fits = [
        e
        for e in DEMO["roll"]
        if e["school_id"] == school
        and e["campus_id"] == campus
        and e["qualified_subjects"] == qualified
        and e["id_type"] == "resident_id"
        and e["name"] not in named
        and not e["cet6_barred"]
    ]
    entry = fits[skip]
    return Identity(entry["id_type"], entry["id_number"], entry["name"])


def test_r_acc_1_a_wrong_captcha_is_refused_and_a_new_one_shown(open_page: Opener) -> None:
    browsing = open_page()
    student = Student(browsing)
    page = student.page
    student.press(student.link("点击注册"))
    student.heading("注册通行证")
    first_image = page.locator("img.captcha-image").get_attribute("src")
    student.type_into("通行证账号（电子邮箱或手机号）", new_login())
    student.type_into("密码", "Cet2026demo")
    student.type_into("再次输入密码", "Cet2026demo")
    wrong = "0000" if browsing.captcha() != "0000" else "1111"
    student.type_into("图形验证码", wrong)
    student.press(student.button("注册"))
    expect(student.error()).to_contain_text("验证码错误或已过期")
    expect(page.get_by_label("图形验证码")).to_be_focused()
    expect(page.get_by_label("图形验证码")).to_have_value("")
    assert page.locator("img.captcha-image").get_attribute("src") != first_image  # a fresh one
    browsing.shot("wrong-captcha")
    with page.expect_response("**/api/captchas"):
        student.press(student.button("换一张"))  # the student can also ask for another
    student.type_into("图形验证码", browsing.captcha())
    student.press(student.button("注册"))
    expect(page.get_by_role("status")).to_contain_text("注册成功")
    browsing.check(expected_refusals=["INVALID_CAPTCHA"])


def test_r_oral_3_a_campus_filled_while_the_student_looked_shows_none(open_page: Opener, site: str) -> None:
    """R-ORAL-3/4: dcu-beihu has 2 seats; one is taken (紧张), the other goes while the page shows it."""
    first, second, third = (roll_entry(name) for name in ("夏俊龙", "杜娜雪", "潘波"))
    others = [api_student(site, first)[0], api_student(site, second)[0]]
    browsing, student, _login = signed_up(open_page())
    student.enrol(third)
    student.choose_written("英语四级（CET4）")
    student.heading("报名信息")
    others[0].expect(201, "POST", "/registration/subjects", {"subject": "CET-SET4", "campus_id": "dcu-beihu"})
    student.open_oral("英语四级口试（CET-SET4）")
    beihu = student.page.get_by_role("radio", name=re.compile("东川大学北湖校区"))  # not its 候补 button
    row = student.page.locator(".option.campus", has=beihu)
    expect(beihu).to_be_enabled()
    expect(row).to_contain_text("余量：紧张")  # 1 of 2 seats left: half or less is yellow, in words too
    browsing.shot("campus-yellow")
    others[1].expect(201, "POST", "/registration/subjects", {"subject": "CET-SET4", "campus_id": "dcu-beihu"})
    student.choose_campus("东川大学北湖校区")
    expect(student.error()).to_contain_text("考位刚刚报满")
    expect(beihu).to_be_disabled()  # the list came again: the campus is now "无"
    expect(row).to_contain_text("余量：无")
    browsing.shot("campus-full")
    student.choose_campus("东川大学本部校区")
    student.heading("报名信息")
    browsing.check(expected_refusals=["CAMPUS_FULL"])


def test_r_writ_2_a_level_taken_from_another_device_is_refused(open_page: Opener, site: str) -> None:
    """R-WRIT-2: the page still offers 日语四级 after CET4 was chosen elsewhere; one per level holds."""
    identity = unused_student(school="dcu", campus="dcu-main", qualified=["CET4", "CJT4"])
    browsing, student, _login = signed_up(open_page())
    student.enrol(identity)
    elsewhere = Api(site + "/api")
    elsewhere.token = student.page.evaluate("sessionStorage.getItem('cet.token')")
    elsewhere.expect(201, "POST", "/registration/subjects", {"subject": "CET4"})
    student.choose_written("日语四级（CJT4）")
    expect(student.error()).to_contain_text("同一级别只能报考一个科目")
    browsing.shot("level-taken")
    student.press(student.link("返回报名信息"))
    student.heading("报名信息")
    expect(student.page.locator("table.subjects")).to_contain_text("英语四级")
    expect(student.page.locator("table.subjects")).not_to_contain_text("日语四级")
    browsing.check(expected_refusals=["LEVEL_TAKEN"])


def test_r_rev_3_a_pending_review_is_rejected_modified_and_approved_by_school_staff(open_page: Opener) -> None:
    """R-REV-3 ②, R-REV-4: ticket + name match, ID differs: pending (未复核); staff reject with a
    note; the student modifies and resubmits; staff approve; the student sees 已通过."""
    browsing, student, login = signed_up(open_page())
    student.enrol(roll_entry("梁博睿"), save=False)
    student.press(student.link("CET6资格复核"))
    student.heading("CET6资格复核")
    submit_ticket(student, "390310242102424", "保存并提交复核")
    student.heading("资格信息确认")
    expect(student.page.get_by_role("status")).to_contain_text("联系学校负责老师")
    expect(student.page.locator(".badge")).to_have_text("未复核")
    browsing.shot("review-pending")
    student.press(student.button("退出"))

    decide_as_staff(Student(browsing), approve=False)
    student.log_in(login)
    student.heading("报名首页")
    student.press(student.link("查看 CET6 资格复核"))
    student.heading("CET6资格复核")
    expect(student.page.locator("dl.facts")).to_contain_text("复核未通过")
    expect(student.page.locator("dl.facts")).to_contain_text("请携带 CET4 成绩报告单")
    browsing.shot("review-rejected")
    submit_ticket(student, "390310242102424", "修改并重新提交")
    student.heading("报名首页")
    expect(student.page.locator(".badge")).to_have_text("未复核")
    student.press(student.button("退出"))

    decide_as_staff(Student(browsing), approve=True)
    student.log_in(login)
    student.heading("报名首页")
    expect(student.page.locator(".badge")).to_have_text("已通过")
    browsing.shot("review-approved")
    browsing.check(expected_refusals=[])


def submit_ticket(student: Student, ticket: str, button: str) -> None:
    student.type_into("CET4 笔试准考证号", ticket)
    student.tick("本人确认以上准考证号为本人 2005 年（含）以后通过 CET4 笔试的准考证号")
    student.press(student.button(button))


def decide_as_staff(staff: Student, approve: bool) -> None:
    activate_staff(staff.browsing.origin + "/api", "staff@nyit.edu.cn")  # R-OPS-3: through the outbox
    staff.log_in("staff@nyit.edu.cn", DEMO_STAFF_PASSWORD)
    staff.heading("CET6资格复核（学校负责老师）")
    row = staff.page.get_by_role("table", name=re.compile("待人工复核的申请")).get_by_role("row", name="梁博睿")
    expect(row).to_contain_text("390310242102424")
    staff.browsing.shot("staff-pending")
    who = "梁博睿（390310242102424）"
    if not approve:
        staff.type_into(f"备注：{who}", "请携带 CET4 成绩报告单到教务处复核")
    staff.press(staff.page.get_by_role("button", name=f"{'通过' if approve else '不通过'} {who}", exact=True))
    staff.dialog_confirm(*(("确认通过复核", "确认通过") if approve else ("确认不通过", "确认不通过")))  # R-REV-4
    expect(staff.page.get_by_role("status")).to_contain_text("已通过" if approve else "已驳回")
    expect(staff.page.get_by_text("目前没有待复核的申请")).to_be_visible()
    staff.press(staff.button("退出"))


def test_an_expired_session_sends_the_student_to_log_in_again(open_page: Opener, site: str) -> None:
    """api.md conventions: 401 UNAUTHENTICATED; the page says so in Chinese and asks to log in."""
    browsing, student, login = signed_up(open_page())
    student.heading("报名首页")
    student.press(student.link("开始报名"))
    student.heading("报名协议")
    elsewhere = Api(site + "/api")
    elsewhere.token = student.page.evaluate("sessionStorage.getItem('cet.token')")
    elsewhere.expect(204, "DELETE", "/sessions/current")  # the session ends (expired, or logged out elsewhere)
    student.read_agreement()
    student.tick("我已阅读并同意以上报名协议")
    student.press(student.button("同意"))
    student.heading("登录报名系统")
    expect(student.page.locator(".message.error")).to_contain_text("登录已失效，请重新登录")
    browsing.shot("session-expired")
    student.log_in(login)
    student.heading("报名首页")
    browsing.check(expected_refusals=["UNAUTHENTICATED"])


def signed_in_as(browsing: Browsing, api: Api, route: str) -> Student:
    """The page of a student whose earlier steps went through the API."""
    browsing.page.evaluate("token => sessionStorage.setItem('cet.token', token)", api.token)
    browsing.page.goto(f"{browsing.base}/#/{route}")
    return Student(browsing)


def test_r_oral_2_a_school_without_external_oral_shows_no_choice(open_page: Opener, site: str) -> None:
    """R-ORAL-2: 江临师范学院 keeps its students home: the written campus is selected, its notice loaded."""
    api, _ = api_student(site, roll_entry("宋英"))
    browsing = open_page(360, 740, is_mobile=True)
    student = signed_in_as(browsing, api, "oral")
    student.heading("口试报考")
    student.tick("英语四级口试（CET-SET4）")
    expect(student.page.get_by_text("不接受外校口试")).to_be_visible()
    campuses = student.page.get_by_role("group", name="选择报名校区").get_by_role("radio")
    expect(campuses).to_have_count(1)
    expect(student.page.get_by_label("江临师范学院本部校区")).to_be_checked()
    expect(student.page.locator(".notice[aria-live]")).to_contain_text("江临师范学院通告")
    expect(student.page.locator("main")).not_to_contain_text("null")  # no upcoming campus: nothing, not "null"
    browsing.shot("home-campus-only")
    student.press(student.button("提交"))
    student.heading("报名信息")
    expect(student.page.locator("table.subjects")).to_contain_text("江临师范学院本部校区")
    browsing.check(expected_refusals=[])


def test_r_oral_4_an_oral_subject_waits_for_its_english_written_subject(open_page: Opener, site: str) -> None:
    """R-ORAL-4: with 日语四级 chosen, 英语四级口试 cannot be ticked and says why (GET /subjects'
    `needs_written`, not the page's own reckoning); once 英语四级 is chosen it can."""
    api, _ = api_student(site, unused_student(school="dcu", campus="dcu-beihu", qualified=["CET4", "CJT4"]), "CJT4")
    browsing = open_page()
    student = signed_in_as(browsing, api, "oral")
    student.heading("口试报考")
    oral = student.page.get_by_label("英语四级口试（CET-SET4）")
    expect(oral).to_be_disabled()
    expect(student.page.locator(".option", has=oral)).to_contain_text("请先报考英语四级笔试")
    browsing.shot("oral-needs-written")
    api.expect(200, "DELETE", "/registration/subjects/CJT4")
    api.expect(201, "POST", "/registration/subjects", {"subject": "CET4"})
    student.page.reload()
    student.heading("口试报考")
    expect(oral).to_be_enabled()
    expect(student.page.locator(".option", has=oral)).not_to_contain_text("请先报考")
    browsing.check(expected_refusals=[])


def test_r_bind_1_saving_outside_the_school_window_is_refused(open_page: Opener) -> None:
    """R-BIND-1: 海川学院's window closed in 2024: the lookup works, saving is refused in Chinese."""
    browsing, student, _login = signed_up(open_page())
    student.enrol(roll_entry("朱磊伟"), save=False)
    student.tick("我已核对以上学籍信息与资格信息，确认无误")
    student.press(student.button("保存并继续"))
    student.dialog_confirm("保存报名信息", "确定保存")
    expect(student.error()).to_contain_text("不在您所在学校的网上报名时间内")
    student.heading("资格信息确认")
    browsing.shot("window-closed")
    browsing.check(expected_refusals=["REGISTRATION_CLOSED"])
