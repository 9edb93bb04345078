"""Domain errors: each carries the contract's code and a message a student can act on.

The API layer maps each class to its HTTP status in one table (chalicelib/api/errors.py).
"""

from __future__ import annotations


class DomainError(Exception):
    code = "DOMAIN_ERROR"
    message = "请求未能完成。"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or type(self).message
        super().__init__(self.message)


class InvalidRequest(DomainError):
    code = "INVALID_REQUEST"

    def __init__(self, field: str, problem: str = "缺失或格式不正确") -> None:
        self.field = field
        super().__init__(f"字段 {field} {problem}，请检查后重新提交。")


class Busy(DomainError):
    """api.md conventions: overload, or a store that does not answer, is 503 BUSY."""

    code = "BUSY"
    message = "系统繁忙，请稍后再试。"


class IdentityKeyUnavailable(DomainError):
    """The keys that protect ID numbers do not match the province's table (a wrong, missing or
    rotated key, or a table not yet converted): refuse, never answer "not found" (decision 0013)."""

    code = "IDENTITY_KEY_UNAVAILABLE"
    message = "系统正在维护考生身份数据，暂时无法查询，请稍后再试。"


class TicketKeyUnavailable(DomainError):
    """The province's ticket signing key cannot be read (its secret is missing or unusable,
    decision 0028): no ticket is shown or printed unsigned."""

    code = "TICKET_KEY_UNAVAILABLE"
    message = "准考证签名服务暂时不可用，请稍后再试。"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    message = "登录已失效，请重新登录。"


class Forbidden(DomainError):
    code = "FORBIDDEN"
    message = "无权访问该数据。"


class NotFound(DomainError):
    code = "NOT_FOUND"
    message = "未找到相应的记录。"


class TooManyAttempts(DomainError):
    code = "TOO_MANY_ATTEMPTS"

    def __init__(self, retry_after: int, what: str = "登录失败次数过多") -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(f"{what}，请在 {self.retry_after} 秒后再试。")


# Accounts (R-ACC)
class InvalidCaptcha(DomainError):
    code = "INVALID_CAPTCHA"
    message = "验证码错误或已过期，请点击图片换一张后重新输入。"


class InvalidLogin(DomainError):
    code = "INVALID_LOGIN"
    message = "请输入有效的电子邮箱或中国大陆手机号码。"


class WeakPassword(DomainError):
    code = "WEAK_PASSWORD"
    message = "密码需为 8 至 64 位，同时包含字母和数字，不能是常用密码、大部分为同一字符或与账号相同。"


class LoginTaken(DomainError):
    code = "LOGIN_TAKEN"
    message = "该邮箱或手机号已注册，请直接登录。"


class BadCredentials(DomainError):
    code = "BAD_CREDENTIALS"
    message = "账号或密码错误。"


# Agreement and qualification (R-QUAL)
class AgreementRequired(DomainError):
    code = "AGREEMENT_REQUIRED"
    message = "请先阅读并同意报名协议。"


class UnsupportedIdType(DomainError):
    code = "UNSUPPORTED_ID_TYPE"
    message = "本系统不支持军官证报名，请使用其他有效证件查询。"


class InvalidIdNumber(DomainError):
    code = "INVALID_ID_NUMBER"
    message = "证件号码格式不正确，请核对后重新输入。"


class CandidateNotFound(DomainError):
    code = "CANDIDATE_NOT_FOUND"
    message = "学籍库中没有找到与证件号码和姓名相符的考生，请核对信息或联系学校负责老师。"


# CET6 review (R-REV)
class IdentityMismatch(DomainError):
    """A CET6 review only for the account's own candidate: the bound one, else the last looked up."""

    code = "IDENTITY_MISMATCH"
    message = "CET6 资格复核只能为本账号绑定或最近查询的考生本人申请。请先用本人证件查询资格信息。"


class ReviewNotOffered(DomainError):
    code = "REVIEW_NOT_OFFERED"
    message = "您的情况不需要或不能申请 CET6 资格复核。"


class ReviewExists(DomainError):
    code = "REVIEW_EXISTS"
    message = "该账号已有一条 CET6 资格复核申请，请查看其状态。"


class ReviewNoMatch(DomainError):
    code = "REVIEW_NO_MATCH"
    message = "准考证号与证件号码、姓名均不对应通过的 CET4 成绩记录，无法提交，请核对准考证号。"


class ReviewBefore2005(DomainError):
    code = "REVIEW_BEFORE_2005"
    message = "2005 年以前的 CET4 成绩无法在线复核，请联系学校负责老师手动审核。"


class ReviewLocked(DomainError):
    code = "REVIEW_LOCKED"
    message = "复核申请未复核或已通过，不能修改或取消。"


class ReviewNotPending(DomainError):
    code = "REVIEW_NOT_PENDING"
    message = "该复核申请不是未复核状态，不能再作决定。"


# Registration (R-BIND)
class RegistrationClosed(DomainError):
    code = "REGISTRATION_CLOSED"
    message = "现在不在您所在学校的网上报名时间内，请关注学校通知。"


class AccountAlreadyBound(DomainError):
    code = "ACCOUNT_ALREADY_BOUND"
    message = "该账号已绑定一名考生的报名信息，一个账号只能绑定一名考生。"


class CandidateAlreadyBound(DomainError):
    code = "CANDIDATE_ALREADY_BOUND"
    message = "该考生的报名信息已绑定到其他账号，请使用原账号登录。"


# Subjects (R-WRIT, R-ORAL, R-PAY)
class NotQualified(DomainError):
    code = "NOT_QUALIFIED"
    message = "您没有该科目的报考资格。"


class CampusNotOpen(DomainError):
    code = "CAMPUS_NOT_OPEN"
    message = "该校区的口试报名当前未开放，请关注学校通知。"


class ExternalNotAllowed(DomainError):
    code = "EXTERNAL_NOT_ALLOWED"
    message = "您的笔试校区不允许报考外校口试，请在笔试校区报考。"


class WrittenRequired(DomainError):
    code = "WRITTEN_REQUIRED"
    message = "报考口试前，请先报考同级别的英语笔试科目。"


class LevelTaken(DomainError):
    code = "LEVEL_TAKEN"
    message = "同一级别只能报考一个科目，如需更换请先删除已选科目。"


class SubjectTaken(DomainError):
    code = "SUBJECT_TAKEN"
    message = "您已报考该科目。"


class CampusFull(DomainError):
    code = "CAMPUS_FULL"
    message = "该校区此科目考位已满，请选择其他校区。"


class SubjectPaid(DomainError):
    code = "SUBJECT_PAID"
    message = "已缴费的科目不能更改或取消。"


class NothingToPay(DomainError):
    code = "NOTHING_TO_PAY"
    message = "没有待缴费的科目。"


class OrderOpen(DomainError):
    code = "ORDER_OPEN"
    message = "您已有一笔未完成的订单：请先完成支付，或点击“更新”查询支付结果。"


class PaymentRefused(DomainError):
    code = "PAYMENT_REFUSED"
    message = "支付平台拒绝了这笔支付：交易已关闭、已过期或已支付。"


class OralDepends(DomainError):
    code = "ORAL_DEPENDS"
    message = "请先删除依赖该笔试科目的口试科目。"


class InvalidCode(DomainError):
    """R-ACC-3/4: wrong, expired, used, or for no such login: one answer for all of them, with
    the tries the login has left (counted per login typed, so it tells nothing of the login)."""

    code = "INVALID_CODE"
    message = "验证码不正确或已失效，请重新获取验证码。"

    def __init__(self, tries_left: int | None = None) -> None:
        self.tries_left = tries_left
        if tries_left is None:
            super().__init__()
        elif tries_left > 0:
            super().__init__(f"验证码不正确或已失效，最多还可再试 {tries_left} 次；多次不对请重新获取验证码。")
        else:
            super().__init__("验证码不正确或已失效，输错次数已用完：请稍后重新获取验证码再试。")


class NotPaid(DomainError):
    code = "NOT_PAID"
    message = "这笔订单尚未支付，没有缴费凭证。"


class NotAcceptable(DomainError):
    code = "NOT_ACCEPTABLE"
    message = "缴费凭证是 PDF 文件：请求须接受 application/pdf。"


# The waiting room (R-QUEUE)
class QueueNotOpen(DomainError):
    code = "QUEUE_NOT_OPEN"
    message = "该场次的排队尚未开始或已经结束，请留意开放时间。"


class RegistrationRequired(DomainError):
    """R-QUEUE-2 (amended): the queue is per candidate, so joining needs the bound registration."""

    code = "REGISTRATION_REQUIRED"
    message = "加入排队前请先保存报名信息：排队按考生计，每名考生每个场次只有一个位置。"


class QueueNotOrdered(DomainError):
    """R-QUEUE-6: the order is published once the pre-opening pool is ordered (after `opens_at`)."""

    code = "QUEUE_NOT_ORDERED"
    message = "该场次的排队顺序尚未产生：开放时刻过后顺序才会公布，请稍后再查。"


class NotAdmitted(DomainError):
    code = "NOT_ADMITTED"
    message = "该校区口试报名正在排队放行中：请先加入排队，轮到您后在放行时间内选择校区。"


# The waiting list (R-WAIT-1)
class CampusNotFull(DomainError):
    code = "CAMPUS_NOT_FULL"
    message = "该校区此科目尚有考位，请直接报考，无需候补。"


class WaitlistExists(DomainError):
    code = "WAITLIST_EXISTS"
    message = "同一级别的口试只能候补一个校区；如需更换，请先退出原来的候补。"


# The province administrator (R-OPS-2)
class InvalidWindow(DomainError):
    code = "INVALID_WINDOW"
    message = "报名截止时间须晚于开始时间。"


class CapacityBelowTaken(DomainError):
    code = "CAPACITY_BELOW_TAKEN"

    def __init__(self, taken: int) -> None:
        self.taken = taken
        super().__init__(f"容量不能低于已占用的考位数（{taken}）。")


class TicketsNotOpen(DomainError):
    """R-TICKET-2: tickets are shown from the province's `tickets_open_at`."""

    code = "TICKETS_NOT_OPEN"
    message = "准考证打印尚未开放，请在开放时间后再来。"


class TicketsClosed(DomainError):
    """R-TICKET-2: a ticket is printed until its exam ends."""

    code = "TICKETS_CLOSED"
    message = "该科目考试已结束，准考证不再提供打印。"


class NoTicket(DomainError):
    code = "NO_TICKET"
    message = "该科目没有准考证：只有已缴费并已编排考场的笔试科目才有准考证。"
