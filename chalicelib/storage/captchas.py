"""Captchas, each taken (read and deleted) at most once."""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, DoesNotExist

from chalicelib.domain.accounts import Captcha
from chalicelib.domain.clock import iso, parse_iso
from chalicelib.storage import keys
from chalicelib.storage.models import (
    CaptchaItem,
)


class DynamoCaptchas:
    def save(self, captcha: Captcha) -> None:
        CaptchaItem(
            keys.captcha_pk(captcha.captcha_id),
            keys.CAPTCHA_SK,
            answer_digest=captcha.answer_digest,
            expires_at=iso(captcha.expires_at),
            expires=captcha.expires_at,
        ).save()

    def take(self, captcha_id: str) -> Captcha | None:
        try:
            item = CaptchaItem.get(keys.captcha_pk(captcha_id), keys.CAPTCHA_SK)
            item.delete(condition=CaptchaItem.pk.exists())
        except (DoesNotExist, DeleteError):
            return None  # unknown, or another request took it first
        return Captcha(captcha_id, item.answer_digest, parse_iso(item.expires_at))
