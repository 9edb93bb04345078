"""Every error code the API can answer has a Chinese sentence on the student page (issue: clear errors).

The page (web/js/messages.js) must never fall back to a raw code or status for a code of the contract.
"""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.domain import errors
from tests.spec import spec

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = ROOT / "web" / "js" / "messages.js"
CJK = re.compile(r"[\u4e00-\u9fff]")


def page_messages() -> dict[str, str]:
    text = MESSAGES.read_text(encoding="utf-8")
    table = text[text.index("export const MESSAGES = {") : text.index("};")]
    return dict(re.findall(r'^\s+([A-Z][A-Z0-9_]+): "([^"]+)",$', table, flags=re.MULTILINE))


def domain_codes() -> set[str]:
    found = {c.code for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.DomainError)}
    return found - {errors.DomainError.code}


def contract_codes() -> set[str]:
    codes: set[str] = set()
    for path in spec()["paths"].values():
        for operation in (op for op in path.values() if isinstance(op, dict)):
            for listed in (operation.get("x-error-codes") or {}).values():
                codes.update(listed)
    return codes


def test_every_code_of_the_contract_and_the_domain_has_a_chinese_message() -> None:
    messages = page_messages()
    needed = domain_codes() | contract_codes() | {"METHOD_NOT_ALLOWED", "INTERNAL_ERROR"}
    assert len(needed) > 35
    assert sorted(needed - set(messages)) == []


def test_each_message_is_chinese_and_says_more_than_the_code() -> None:
    for code, text in page_messages().items():
        assert CJK.search(text), code
        assert code not in text, code
        assert len(text) >= 8, code


WEB = ROOT / "web"


def test_r_rev_1_the_page_never_claims_a_cet4_pass_it_does_not_know() -> None:
    """R-REV-1: the student *claims* a CET4 pass; the service knows only that CET6 is missing from the
    qualified subjects, so no page text tells a student "您已通过 CET4"."""
    for path in WEB.rglob("*"):
        if path.suffix in (".js", ".html"):
            assert "您已通过" not in path.read_text(encoding="utf-8"), path


def test_r_acc_5_the_registration_form_states_the_password_policy_in_chinese() -> None:
    """R-ACC-5: at least 8 characters, not common, not mostly one character or whitespace, not the login."""
    text = MESSAGES.read_text(encoding="utf-8")
    policy = re.search(r'export const PASSWORD_POLICY = "([^"]+)";', text)
    assert policy, "web/js/messages.js: PASSWORD_POLICY"
    for words in ("8", "常用密码", "同一个字符", "空格", "账号"):
        assert words in policy.group(1), words
    assert "PASSWORD_POLICY" in (WEB / "js" / "views" / "account.js").read_text(encoding="utf-8")
