"""R-PAY-6 缴费凭证 as a PDF: fpdf2 embeds the subset of the receipt font it uses (decision 0015).

The page and its font are receipts/document.py's, shared with the admission tickets.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.orders import Receipt
from chalicelib.receipts.document import FAMILY, a4_pdf, draw_table

TITLE = "全国大学英语四、六级考试（CET）缴费凭证"
LABEL_WIDTH = 42.0
COLUMNS = (("科目代码", 30.0), ("科目", 56.0), ("口试校区", 56.0), ("金额（元）", 28.0))


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def receipt_pdf(receipt: Receipt) -> bytes:
    pdf = a4_pdf(f"缴费凭证 {receipt.number}", receipt.paid_at)
    pdf.add_page()
    pdf.set_font(FAMILY, size=16)
    pdf.cell(0, 10, TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=10)
    pdf.cell(0, 6, f"{receipt.province} · 网上报名", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    _facts(
        pdf,
        [
            ("订单号", receipt.number),
            ("考生姓名", receipt.candidate_name),
            ("证件", f"{receipt.id_type} {receipt.candidate_id}".strip()),
            ("学校", receipt.school),
        ],
    )
    pdf.ln(4)
    _subjects(pdf, receipt)
    pdf.ln(4)
    paid_at = receipt.paid_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    _facts(
        pdf,
        [
            ("合计", f"{yuan(receipt.amount)} 元"),
            ("支付时间", f"{paid_at}（北京时间）"),
            ("支付方式", receipt.provider),
            ("支付平台交易号", receipt.trade_no or "—"),
            ("平台订单编号", receipt.order_id),
        ],
    )
    pdf.ln(8)
    pdf.set_font(FAMILY, size=9)
    pdf.multi_cell(0, 5, "本凭证证明上列科目的报名费已缴纳。咨询时请提供订单号。已缴费的科目不能更改或取消。")
    return bytes(pdf.output())


def _facts(pdf: FPDF, rows: list[tuple[str, str]]) -> None:
    pdf.set_font(FAMILY, size=11)
    for label, value in rows:
        pdf.cell(LABEL_WIDTH, 8, f"{label}：")
        pdf.multi_cell(0, 8, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _subjects(pdf: FPDF, receipt: Receipt) -> None:
    pdf.set_font(FAMILY, size=11)
    rows = ((line.code, line.name, line.campus or "—", yuan(line.fee)) for line in receipt.lines)
    draw_table(pdf, COLUMNS, rows, text_align=("LEFT", "LEFT", "LEFT", "RIGHT"))
