"""What a refusal tells the client beyond its code and message (R-ACC-2)."""

from __future__ import annotations

from chalicelib.domain.errors import TooManyAttempts


def test_r_acc_2_a_throttled_client_is_told_to_wait_at_least_a_second() -> None:
    """The wait is what the answer's Retry-After says: never 0 (a client would retry at once)."""
    assert TooManyAttempts(0).retry_after == 1
    assert TooManyAttempts(1).retry_after == 1
    assert TooManyAttempts(30).message == "登录失败次数过多，请在 30 秒后再试。"
