"""R-TICKET-2 准考证 and R-TICKET-3 考场签到表 as A4 PDFs, on the receipts' page and font
(chalicelib/receipts/document.py, decision 0015), the ticket with its signed QR code."""

from __future__ import annotations

import io
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from chalicelib.domain.ticket_document import (
    EXAM_RULES,
    SHEET_TITLE,
    TICKET_TITLE,
    SignInSheet,
    TicketDocument,
    time_span,
)
from chalicelib.receipts.document import FAMILY, a4_pdf, draw_table
from chalicelib.tickets.qr import qr_png

QR_SIZE_MM = 45.0
LABEL_WIDTH = 26.0
SHEET_MARGIN = 12.0
SHEET_ROW_MM = 7.0
SHEET_COLUMNS = (
    ("座位号", 14.0),
    ("准考证号", 40.0),
    ("姓名", 30.0),
    ("证件号码", 44.0),
    ("备注", 24.0),
    ("考生签名", 34.0),
)


def render_ticket(document: TicketDocument, qr_text: str, issued_at: datetime | None = None) -> bytes:
    """The ticket a student prints; `qr_text` is the signed text (TicketSigner.sign)."""
    pdf = a4_pdf(f"准考证 {document.ticket_number}", issued_at)
    pdf.add_page()
    pdf.set_font(FAMILY, size=18)
    pdf.cell(0, 12, TICKET_TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=10)
    pdf.cell(0, 6, "考生自行打印 · 时间均为北京时间", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    top = pdf.get_y()
    qr_x = pdf.w - pdf.r_margin - QR_SIZE_MM
    pdf.image(io.BytesIO(qr_png(qr_text)), x=qr_x, y=top, w=QR_SIZE_MM, h=QR_SIZE_MM)
    pdf.set_xy(qr_x, top + QR_SIZE_MM + 1)
    pdf.set_font(FAMILY, size=8)
    pdf.cell(QR_SIZE_MM, 4, "考场离线核验二维码", align=Align.C)
    pdf.set_xy(pdf.l_margin, top)
    _facts(pdf, _ticket_facts(document), width=qr_x - pdf.l_margin - 6)
    pdf.set_y(max(pdf.get_y(), top + QR_SIZE_MM + 6) + 6)
    pdf.set_draw_color(120, 120, 120)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(4)
    _rules(pdf)
    return bytes(pdf.output())


def _ticket_facts(document: TicketDocument) -> list[tuple[str, str]]:
    room = f"第 {document.room} 考场" + (f"（{document.room_name}）" if document.room_name else "")
    if document.separate_room:
        room += " · 单独考场"
    facts = [
        ("准考证号", document.ticket_number),
        ("姓名", document.name),
        ("证件号码", document.masked_id),
        ("学校", document.school),
        ("考试科目", f"{document.subject_name}（{document.subject}）"),
        ("考试时间", time_span(document.exam_at, document.ends_at)),
        ("考点", f"{document.campus_name}（考点代码 {document.site_code}）"),
        ("考场", room),
        ("座位号", document.seat),
    ]
    if document.extra_minutes:
        facts.append(("延长时间", f"{document.extra_minutes} 分钟（已计入结束时间）"))
    return facts


def _facts(pdf: FPDF, rows: list[tuple[str, str]], width: float) -> None:
    for label, value in rows:
        pdf.set_font(FAMILY, size=14 if label == "准考证号" else 11)
        pdf.cell(LABEL_WIDTH, 8, f"{label}：")
        pdf.multi_cell(width - LABEL_WIDTH, 8, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _rules(pdf: FPDF) -> None:
    pdf.set_font(FAMILY, size=12)
    pdf.cell(0, 8, "考生须知", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=10)
    for number, rule in enumerate(EXAM_RULES, start=1):
        pdf.cell(8, 6, f"{number}.")
        pdf.multi_cell(0, 6, rule, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_sign_in_sheet(sheet: SignInSheet, printed_at: datetime | None = None) -> bytes:
    """One room's sign-in sheet; a room longer than a page goes on, headings repeated."""
    pdf = a4_pdf(f"考场签到表 {sheet.site_code} {sheet.subject} {sheet.room}", printed_at, margin=SHEET_MARGIN)
    pdf.add_page()
    pdf.set_font(FAMILY, size=16)
    pdf.cell(0, 10, SHEET_TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    room = f"第 {sheet.room} 考场" + (f"（{sheet.room_name}）" if sheet.room_name else "")
    if sheet.separate_room:
        room += " · 单独考场"
    pdf.set_font(FAMILY, size=11)
    for line in (
        f"考点：{sheet.campus_name}（考点代码 {sheet.site_code}）",
        f"科目：{sheet.subject_name}（{sheet.subject}）    考场：{room}",
        f"考试时间：{time_span(sheet.exam_at, sheet.ends_at)}    应到 {len(sheet.rows)} 人",
    ):
        pdf.cell(0, 6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    _sheet_table(pdf, sheet)
    pdf.ln(4)
    pdf.set_font(FAMILY, size=11)
    pdf.cell(0, 7, "实到 ____ 人    缺考 ____ 人    监考员签名：________________  ________________")
    return bytes(pdf.output())


def _sheet_table(pdf: FPDF, sheet: SignInSheet) -> None:
    pdf.set_font(FAMILY, size=10)
    rows = (
        (e.seat, e.ticket_number, e.name, e.masked_id, f"延长{e.extra_minutes}分钟" if e.extra_minutes else "", "")
        for e in sheet.rows
    )
    draw_table(pdf, SHEET_COLUMNS, rows, line_height=SHEET_ROW_MM)
