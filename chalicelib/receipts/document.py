"""The printed documents' page: A4 with the shipped CJK font (decision 0015), for receipts
(R-PAY-6), admission tickets and sign-in sheets (R-TICKET-2, R-TICKET-3).

The font is a file shipped in the package (fonts/receipt-sans.ttf), so a PDF renders the same on
any reader and the Lambda needs no system font; each PDF embeds the subset of it that it uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

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


def draw_table(pdf: FPDF, columns: Sequence[tuple[str, float]], rows: Iterable[Sequence[str]], **options: Any) -> None:
    """A ruled table: a heading row of the columns' names, then `rows`, in the page's one face
    (the heading is set apart by the rule under it); `options` go to fpdf2's table (alignment,
    line height)."""
    plain = FontFace(emphasis="")
    widths = tuple(width for _, width in columns)
    with pdf.table(col_widths=widths, headings_style=plain, **options) as table:
        heading = table.row()
        for name, _ in columns:
            heading.cell(name)
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(value)
