"""R-PAY-6 缴费凭证: what a paid order's receipt says, from the order's own snapshot and the catalog."""

from __future__ import annotations

from chalicelib.domain.accounts import Account
from chalicelib.domain.catalog import Catalog
from chalicelib.domain.errors import NotPaid
from chalicelib.domain.orders import ID_TYPE_NAMES, OrderStatus, Receipt, ReceiptLine
from chalicelib.payments.bank import BANKS
from chalicelib.services.payments import PaymentsContext, order_of

PROVIDER_NAMES = {"alipay": "支付宝", "bank": "网银（首信易支付）"}


def receipt_of(ctx: PaymentsContext, account: Account, order_id: str, catalog: Catalog) -> Receipt:
    """R-PAY-6 缴费凭证 of a paid order: 403 someone else's, 404 unknown, NOT_PAID otherwise."""
    order = order_of(ctx, account, order_id)
    if order.status is not OrderStatus.PAID or order.paid_at is None or order.number is None:
        raise NotPaid()
    candidate = order.candidate
    school = catalog.schools.get(order.school_id)
    lines = tuple(_receipt_line(chosen.code, chosen.campus_id, chosen.fee, catalog) for chosen in order.subjects)
    provider_name = PROVIDER_NAMES.get(order.provider, order.provider)
    if order.bank:
        provider_name += f" · {BANKS.get(order.bank, order.bank)}"
    return Receipt(
        number=order.number,
        order_id=order.order_id,
        candidate_name=candidate.name if candidate else "",
        candidate_id=candidate.masked_id if candidate else "",
        id_type=ID_TYPE_NAMES.get(candidate.id_type, "") if candidate else "",
        school=school.name if school else order.school_id,
        lines=lines,
        paid_at=order.paid_at,
        provider=provider_name,
        trade_no=order.provider_trade_no or "",
        province=catalog.province.name,
    )


def _receipt_line(code: str, campus_id: str | None, fee: int, catalog: Catalog) -> ReceiptLine:
    subject = catalog.subjects.get(code)
    campus = catalog.campuses.get(campus_id) if campus_id else None
    return ReceiptLine(code, subject.name if subject else code, campus.name if campus else None, fee)
