"""R-TICKET-2 the admission ticket's PDF, R-TICKET-3 the room's sign-in sheet: what they print,
read back from the PDF's text; the QR code read back from the PDF's image, module by module."""

from __future__ import annotations

import io
import logging
from dataclasses import replace
from datetime import datetime

import pytest
import segno
from PIL import Image
from pypdf import PdfReader

from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.ticket_document import EXAM_RULES, SignInRow, SignInSheet, TicketDocument
from chalicelib.tickets.keys import throwaway_ring
from chalicelib.tickets.pdf import render_sign_in_sheet, render_ticket
from chalicelib.tickets.qr import BORDER_MODULES, ERROR_CORRECTION, PIXELS_PER_MODULE, qr_png
from chalicelib.tickets.signing import verify_ticket_qr

WHOLE_ID = "320102200001011234"
EXAM_AT = datetime(2026, 12, 19, 9, 0, tzinfo=SHANGHAI)
TICKET = TicketDocument(
    ticket_number="320001262100107",
    name="欧阳晓燕",
    masked_id=WHOLE_ID,
    school="南京大学",
    subject="CET4",
    subject_name="英语四级笔试",
    exam_at=EXAM_AT,
    exam_minutes=140,
    site_code="320001",
    campus_name="鼓楼校区",
    room="001",
    seat="07",
    room_name="教学楼A101",
)


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def modules_of(image: Image.Image) -> list[list[bool]]:
    """The dark modules of a QR image drawn at PIXELS_PER_MODULE, quiet zone included."""
    grey = image.convert("L")
    size = grey.width // PIXELS_PER_MODULE
    half = PIXELS_PER_MODULE // 2
    return [
        [grey.getpixel((x * PIXELS_PER_MODULE + half, y * PIXELS_PER_MODULE + half)) < 128 for x in range(size)]  # type: ignore[operator]
        for y in range(size)
    ]


def expected_modules(text: str) -> list[list[bool]]:
    code = segno.make(text, error=ERROR_CORRECTION, micro=False)
    return [[bool(dark) for dark in row] for row in code.matrix_iter(border=BORDER_MODULES)]


def test_r_ticket_2_the_ticket_prints_name_masked_id_school_subject_time_site_room_seat_and_number() -> None:
    text = text_of(render_ticket(TICKET, throwaway_ring().signer.sign(TICKET)))

    for printed in (
        "全国大学英语四、六级考试 准考证",
        "320001262100107",
        "欧阳晓燕",
        "3201**********1234",
        "南京大学",
        "英语四级笔试（CET4）",
        "2026年12月19日 09:00–11:20（北京时间）",
        "鼓楼校区（考点代码 320001）",
        "第 001 考场（教学楼A101）",
        "座位号： 07",
        "考生须知",
    ):
        assert printed in text, printed
    assert WHOLE_ID not in text
    assert "单独考场" not in text
    assert EXAM_RULES[0] in text


def test_r_room_3_a_separate_room_with_extra_minutes_says_so_and_ends_later() -> None:
    separate = replace(TICKET, room="004", room_name=None, separate_room=True, extra_minutes=70)
    text = text_of(render_ticket(separate, throwaway_ring().signer.sign(separate)))

    assert "第 004 考场 · 单独考场" in text
    assert "2026年12月19日 09:00–12:30（北京时间）" in text
    assert "70 分钟" in text


def test_r_ticket_2_the_pdf_carries_the_qr_code_of_the_signed_text() -> None:
    signer = throwaway_ring().signer
    signed = signer.sign(TICKET)

    (image,) = PdfReader(io.BytesIO(render_ticket(TICKET, signed))).pages[0].images

    assert modules_of(image.image) == expected_modules(signed)
    assert verify_ticket_qr(signed, {"local": signer.public_key})["ticket_number"] == TICKET.ticket_number
    assert modules_of(image.image) != expected_modules(signer.sign(replace(TICKET, seat="08")))


def test_r_ticket_2_the_qr_png_is_the_segno_code_of_the_text() -> None:
    text = "payload.signature"
    assert modules_of(Image.open(io.BytesIO(qr_png(text)))) == expected_modules(text)


def test_r_ticket_2_the_same_ticket_issued_at_the_same_time_is_the_same_file() -> None:
    """Ed25519 signatures are deterministic and the PDF's date is the one given: a ticket printed
    twice is the same file (a cache may keep it)."""
    first = render_ticket(TICKET, throwaway_ring().signer.sign(TICKET), EXAM_AT)
    again = render_ticket(TICKET, throwaway_ring().signer.sign(TICKET), EXAM_AT)
    assert first == again
    assert render_ticket(TICKET, throwaway_ring().signer.sign(TICKET), EXAM_AT.replace(day=1)) != first


def sheet(count: int) -> SignInSheet:
    rows = tuple(
        SignInRow(f"{seat:02d}", f"3200012621001{seat:02d}", f"考生{seat:02d}", WHOLE_ID, 40 if seat == 3 else 0)
        for seat in range(1, count + 1)
    )
    ends_at = EXAM_AT.replace(hour=12)
    return SignInSheet("320001", "鼓楼校区", "CET4", "英语四级笔试", "002", EXAM_AT, ends_at, rows, "教学楼A102")


def test_r_ticket_3_the_sign_in_sheet_lists_seat_ticket_number_name_and_masked_id_on_one_page() -> None:
    pdf = render_sign_in_sheet(sheet(30))
    text = text_of(pdf)

    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1  # a full room of 30 fits one page
    for printed in (
        "考场签到表",
        "鼓楼校区（考点代码 320001）",
        "英语四级笔试（CET4）",
        "第 002 考场（教学楼A102）",
        "2026年12月19日 09:00–12:00（北京时间）",
        "应到 30 人",
        "考生签名",
        "延长40分钟",
    ):
        assert printed in text, printed
    for seat in (1, 17, 30):
        assert f"{seat:02d} 3200012621001{seat:02d} 考生{seat:02d} 3201**********1234" in text
    assert WHOLE_ID not in text


def test_r_ticket_3_a_longer_list_goes_on_to_another_page_with_its_headings() -> None:
    pdf = render_sign_in_sheet(sheet(45))
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]

    assert len(pages) == 2
    assert "考生45" in pages[1]
    assert all("准考证号" in page for page in pages)


def test_r_ticket_2_every_character_printed_is_in_the_shipped_font(caplog: pytest.LogCaptureFixture) -> None:
    """fpdf2 warns of a glyph the font lacks (and prints a box): the fixed text never does."""
    separate = replace(TICKET, separate_room=True, extra_minutes=40)
    with caplog.at_level(logging.WARNING):
        render_ticket(separate, throwaway_ring().signer.sign(separate))
        render_sign_in_sheet(replace(sheet(3), separate_room=True))
        assert not [r for r in caplog.records if "missing" in r.getMessage()]
        render_sign_in_sheet(replace(sheet(3), campus_name="䶮"))  # outside GB2312: the check can fail
    assert [r for r in caplog.records if "missing" in r.getMessage()]
