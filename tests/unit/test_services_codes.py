"""R-ACC-6: codes sent to an address, with fakes: ASCII mobile logins, keyed code hashes, limits
per address and per client as well as per account, a login change ending the other sessions."""

from __future__ import annotations

import pytest

from chalicelib.domain.accounts import normalize_login
from chalicelib.domain.errors import InvalidLogin

FULL_WIDTH_SEVEN = "\uff17"
ARABIC_INDIC_SEVEN = "\u0667"


@pytest.mark.parametrize(
    "raw",
    [
        "1395204479" + FULL_WIDTH_SEVEN,
        "1395204479" + ARABIC_INDIC_SEVEN,
        "\uff11\uff13\uff19\uff15\uff12\uff10\uff14\uff14\uff17\uff19\uff17",  # all full-width
        "1395204479\u09ed",  # Bengali seven
        "+86 1395204479" + FULL_WIDTH_SEVEN,
    ],
)
def test_r_acc_6_a_mobile_login_is_ascii_digits_only(raw: str) -> None:
    """Other scripts' digits are refused, never read as another login (fails on the old code: `\\d`)."""
    assert normalize_login("13952044797") == "13952044797"
    with pytest.raises(InvalidLogin):
        normalize_login(raw)


@pytest.mark.parametrize(
    "raw", ["li" + FULL_WIDTH_SEVEN + "@example.com", "li@example\uff0ecom", "l\u0131@example.com"]
)
def test_r_acc_6_an_email_login_is_ascii_only(raw: str) -> None:
    with pytest.raises(InvalidLogin):
        normalize_login(raw)
