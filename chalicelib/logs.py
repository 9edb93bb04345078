"""Structured JSON logs (one line per event, CloudWatch-friendly), via Powertools' Logger."""

from __future__ import annotations

import functools

from aws_lambda_powertools import Logger


@functools.cache
def logger() -> Logger:
    return Logger(service="cet-registration")
