"""Identity documents (R-QUAL-2, R-QUAL-4), logins and passwords (R-ACC-1, R-ACC-2)."""

from __future__ import annotations

import pytest

from chalicelib.domain.accounts import check_password_policy, normalize_login
from chalicelib.domain.errors import InvalidIdNumber, InvalidLogin, InvalidRequest, UnsupportedIdType, WeakPassword
from chalicelib.domain.identity import (
    IdType,
    candidate_key,
    gb11643_check_digit,
    is_valid_resident_id,
    mask_id_number,
    normalize_id_number,
    parse_id_type,
)
from tests import factories

# The textbook GB 11643 example, whose check digit is X.
TEXTBOOK_ID = "11010519491231002X"
VALID_ID = factories.resident_id(1)


def test_r_qual_4_check_digit_of_the_textbook_example_is_x() -> None:
    assert gb11643_check_digit(TEXTBOOK_ID[:17]) == "X"
    assert is_valid_resident_id(TEXTBOOK_ID)


def test_r_qual_4_valid_resident_id_is_accepted_as_is() -> None:
    assert is_valid_resident_id(VALID_ID)
    assert normalize_id_number(IdType.RESIDENT_ID, f"  {VALID_ID} ") == VALID_ID


def test_r_qual_4_wrong_check_digit_is_refused_before_any_lookup() -> None:
    wrong = VALID_ID[:17] + str((int(VALID_ID[17]) + 1) % 10)
    assert not is_valid_resident_id(wrong)
    with pytest.raises(InvalidIdNumber):
        normalize_id_number(IdType.RESIDENT_ID, wrong)


def test_r_qual_4_a_changed_body_digit_breaks_the_check() -> None:
    changed = VALID_ID[:5] + str((int(VALID_ID[5]) + 1) % 10) + VALID_ID[6:]
    with pytest.raises(InvalidIdNumber):
        normalize_id_number(IdType.RESIDENT_ID, changed)


def test_r_qual_4_check_digit_x_accepted_in_either_case() -> None:
    with_x = factories.resident_id(8)
    assert with_x.endswith("X")
    assert normalize_id_number(IdType.RESIDENT_ID, with_x.lower()) == with_x


def test_r_qual_4_x_where_a_digit_is_due_is_refused() -> None:
    with pytest.raises(InvalidIdNumber):
        normalize_id_number(IdType.RESIDENT_ID, VALID_ID[:17] + "X")


@pytest.mark.parametrize(
    "number",
    [VALID_ID[:17], VALID_ID + "1", "", "32010220050101A012", "X20102200501010012", "3201022005010100 2"],
)
def test_r_qual_4_wrong_length_or_characters_are_refused(number: str) -> None:
    assert not is_valid_resident_id(number)
    with pytest.raises(InvalidIdNumber):
        normalize_id_number(IdType.RESIDENT_ID, number)


@pytest.mark.parametrize(
    ("id_type", "number"),
    [
        (IdType.PASSPORT, "e12345678"),
        (IdType.HK_MACAO_PERMIT, "H12345678"),
        (IdType.TAIWAN_PERMIT, "12345678"),
        (IdType.HMT_RESIDENCE_PERMIT, "810000199001011234"),
        (IdType.FOREIGN_PERMANENT_RESIDENT, "USA123456789012"),
    ],
)
def test_r_qual_4_other_documents_are_checked_for_shape_only(id_type: IdType, number: str) -> None:
    assert normalize_id_number(id_type, number) == number.upper()


@pytest.mark.parametrize(
    ("id_type", "number"),
    [
        (IdType.PASSPORT, "E-12345"),
        (IdType.PASSPORT, "E12"),
        (IdType.HK_MACAO_PERMIT, "X12345678"),
        (IdType.TAIWAN_PERMIT, "123456789"),
    ],
)
def test_r_qual_4_other_documents_of_the_wrong_shape_are_refused(id_type: IdType, number: str) -> None:
    with pytest.raises(InvalidIdNumber):
        normalize_id_number(id_type, number)


def test_r_qual_2_military_officer_id_is_a_clear_error() -> None:
    with pytest.raises(UnsupportedIdType) as raised:
        parse_id_type("military_officer")
    assert raised.value.code == "UNSUPPORTED_ID_TYPE"
    assert "军官证" in raised.value.message


@pytest.mark.parametrize("value", ["driving_licence", "", "RESIDENT_ID", None, 3, ["resident_id"]])
def test_r_qual_2_unknown_id_type_is_an_invalid_request_naming_id_type(value: object) -> None:
    with pytest.raises(InvalidRequest) as raised:
        parse_id_type(value)
    assert raised.value.field == "id_type"
    assert "id_type" in raised.value.message


def test_r_qual_2_every_supported_id_type_parses() -> None:
    assert [parse_id_type(t.value) for t in IdType] == list(IdType)


def test_r_qual_3_masking_keeps_first_and_last_four_only() -> None:
    masked = mask_id_number("32010220050101008X")
    assert masked == "3201**********008X"
    assert len(masked) == 18


@pytest.mark.parametrize("number", [VALID_ID, TEXTBOOK_ID, "E12345678", "12345678", "H1234"])
def test_r_qual_3_masking_never_shows_the_whole_number(number: str) -> None:
    masked = mask_id_number(number)
    assert number not in masked
    assert masked.count("*") * 2 >= len(number)  # at least half of it hidden
    assert len(masked) == len(number)


def test_candidate_key_names_type_and_digest_never_the_number() -> None:
    """Decision 0013: the binding's key holds the document type and the number's keyed hash."""
    identity = factories.protected_id("E12345678")
    assert candidate_key(IdType.PASSPORT, identity) == f"passport#{identity.digest}"
    zhang = factories.entry(factories.ZHANG)
    assert zhang.key == f"resident_id#{zhang.identity.digest}"
    assert factories.ZHANG.id_number not in zhang.key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Student@Example.COM", "student@example.com"),
        ("  li.si+cet@mail.nju.edu.cn ", "li.si+cet@mail.nju.edu.cn"),
        ("13800138000", "13800138000"),
        (" 19912345678 ", "19912345678"),
        ("+8613800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),  # spaces as people type them
        ("138-0013-8000", "13800138000"),
    ],
)
def test_r_acc_1_login_is_an_email_or_a_mainland_mobile(raw: str, expected: str) -> None:
    assert normalize_login(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "student",
        "student@",
        "@example.com",
        "student@example",
        "12800138000",  # second digit must be 3-9
        "1380013800",  # ten digits
        "138001380001",  # twelve digits
        "+85213800138000",
        "+86",
        "a" * 65 + "@example.com",
    ],
)
def test_r_acc_1_anything_else_is_an_invalid_login(raw: str) -> None:
    with pytest.raises(InvalidLogin):
        normalize_login(raw)


def test_r_acc_1_plus86_is_stripped_from_mobiles_only() -> None:
    """BUG (chalicelib/domain/accounts.py normalize_login): "+86" is cut off any login before the
    e-mail check, so the e-mail address "+86li@example.com" becomes "li@example.com", another
    person's address (LOGIN_TAKEN for one of them, or two people sharing one account's login)."""
    assert normalize_login("+86li@example.com") == "+86li@example.com"


@pytest.mark.parametrize(
    "password", ["Kaosheng2026", "A1" * 32, "Zhang San 2026!", "aaaa1234", "xq7v2mzk", "Cet2026demo", "Staff2026pass"]
)
def test_r_acc_2_r_acc_5_acceptable_passwords(password: str) -> None:
    check_password_policy(password, "student@example.com")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("password1", "常用密码"),  # among the commonly used passwords
        ("Password1", "常用密码"),  # whatever the case
        ("1qaz2wsx", "常用密码"),
        ("abcdefg1", "常用密码"),
        ("aaaaaaa1", "同一个字符"),  # 7 of 8 one character
        ("1111111a", "同一个字符"),
        ("AaAaAa12", "同一个字符"),  # letters compared without case
        (" " * 8, "空格"),  # eight blanks
        ("a1   \t  \n ", "空格"),  # mostly whitespace
        ("a1", "8 至 64 位"),
    ],
)
def test_r_acc_5_common_repeated_blank_or_short_passwords_are_refused_saying_why(password: str, why: str) -> None:
    """R-ACC-5: not among commonly used passwords, not mostly one repeated character or whitespace,
    at least 8 characters; the message says which rule failed."""
    with pytest.raises(WeakPassword) as refused:
        check_password_policy(password, "student@example.com")
    assert why in refused.value.message, refused.value.message


def test_r_acc_5_the_login_itself_is_refused_with_blanks_or_another_case() -> None:
    for password, login in (("13912345678", "13912345678"), (" Zhang2026@Example.com ", "zhang2026@example.com")):
        with pytest.raises(WeakPassword) as refused:
            check_password_policy(password, login)
        assert "账号" in refused.value.message


@pytest.mark.parametrize(
    "password",
    [
        "xqz1234",  # seven characters
        "a1" * 32 + "x",  # 65 characters
        "abcdefgh",  # no digit
        "12345678",  # no letter
        "密码密码密码1234",  # letters must be ASCII
        "",
    ],
)
def test_r_acc_2_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPassword):
        check_password_policy(password, "student@example.com")


def test_r_acc_2_password_equal_to_the_login_is_refused_whatever_the_case() -> None:
    with pytest.raises(WeakPassword):
        check_password_policy("Zhang2026@Example.com", "zhang2026@example.com")


CHINESE_COMMON = ["woaini1314", "qq123456", "5201314a", "a123456789", "zhang123"]


@pytest.mark.parametrize("password", [*CHINESE_COMMON, "WoAiNi1314", " Zhang123 ", "aptx4869", "nihao123"])
def test_r_acc_5_chinese_common_passwords_are_refused(password: str) -> None:
    """R-ACC-5, decision 0025: the tops of the 12306 and CSDN leaks beside zxcvbn's English list."""
    with pytest.raises(WeakPassword) as refused:
        check_password_policy(password, "student@example.com")
    assert "常用密码" in refused.value.message


def test_the_chinese_list_is_read_from_its_file_and_holds_the_acceptance_passwords() -> None:
    from chalicelib.domain.accounts import CHINESE_COMMON_PASSWORDS, chinese_common_passwords

    listed = chinese_common_passwords()
    assert set(CHINESE_COMMON) <= listed
    assert len(listed) > 100
    assert all(p == p.strip().lower() and not p.startswith("#") for p in listed)
    assert CHINESE_COMMON_PASSWORDS.stat().st_size < 10_000  # a few kilobytes in the Lambda
