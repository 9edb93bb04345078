"""The printed documents' page: A4 with the shipped CJK font (decision 0015), for receipts
(R-PAY-6), admission tickets and sign-in sheets (R-TICKET-2, R-TICKET-3).

The font is a file shipped in the package (fonts/receipt-sans.ttf), so a PDF renders the same on
any reader and the Lambda needs no system font; each PDF embeds the subset of it that it uses.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fpdf import FPDF

FONT = Path(__file__).resolve().parent / "fonts" / "receipt-sans.ttf"
FAMILY = "receipt-sans"
CREATOR = "CET 网上报名"


def a4_pdf(title: str, created_at: datetime | None, margin: float = 20.0) -> FPDF:
    """An empty A4 document whose font is FAMILY. `created_at` fixed: the same document is the
    same file, whenever it is printed."""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator(CREATOR)
    if created_at is not None:
        pdf.set_creation_date(created_at)
    pdf.add_font(FAMILY, fname=str(FONT))
    pdf.set_margins(margin, margin, margin)
    pdf.set_auto_page_break(True, margin=margin)
    return pdf
