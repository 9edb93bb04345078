"""The local stack prints the service's log lines readably: the same lines CloudWatch gets as JSON
(one per request, request id, route, status, latency), one short line each."""

from __future__ import annotations

import logging
import time

SHOWN = ("request_id", "secret_name", "error", "released", "expired_subjects", "checked")


class Readable(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        at = time.strftime("%H:%M:%S", time.localtime(record.created))
        fields = vars(record)
        if record.getMessage() == "request":
            cold = " (cold start)" if fields.get("cold_start") else ""
            return (
                f"{at} {fields.get('method')} {fields.get('route')} → {fields.get('status')} "
                f"{fields.get('latency_ms')} ms [{str(fields.get('request_id'))[:8]}]{cold}"
            )
        extra = " ".join(f"{k}={fields[k]}" for k in SHOWN if k in fields)
        return f"{at} {record.levelname} {record.getMessage()} {extra}".rstrip()


def use_readable_lines() -> None:
    from chalicelib.logs import logger

    logger().registered_handler.setFormatter(Readable())
