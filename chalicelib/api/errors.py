"""The one table that maps domain errors to HTTP status and code, and the wrapper that applies it."""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
from chalice.app import Response

from chalicelib.domain import errors as e
from chalicelib.logs import logger

STATUS: dict[type[e.DomainError], int] = {
    e.InvalidRequest: 400,
    e.InvalidCaptcha: 400,
    e.InvalidLogin: 400,
    e.WeakPassword: 400,
    e.InvalidCode: 400,
    e.InvalidWindow: 400,
    e.UnsupportedIdType: 400,
    e.InvalidIdNumber: 400,
    e.Unauthenticated: 401,
    e.BadCredentials: 401,
    e.Forbidden: 403,
    e.IdentityMismatch: 403,
    e.AgreementRequired: 403,
    e.RegistrationClosed: 403,
    e.NotQualified: 403,
    e.CampusNotOpen: 403,
    e.ExternalNotAllowed: 403,
    e.WrittenRequired: 403,
    e.NotAdmitted: 403,
    e.NotFound: 404,
    e.CandidateNotFound: 404,
    e.LoginTaken: 409,
    e.Busy: 503,
    e.IdentityKeyUnavailable: 503,
    e.TicketKeyUnavailable: 503,
    e.ReviewNotOffered: 409,
    e.ReviewExists: 409,
    e.ReviewLocked: 409,
    e.ReviewNotPending: 409,
    e.AccountAlreadyBound: 409,
    e.CandidateAlreadyBound: 409,
    e.LevelTaken: 409,
    e.SubjectTaken: 409,
    e.CampusFull: 409,
    e.CampusNotFull: 409,
    e.WaitlistExists: 409,
    e.SubjectPaid: 409,
    e.OralDepends: 409,
    e.NothingToPay: 409,
    e.OrderOpen: 409,
    e.PaymentRefused: 409,
    e.NotPaid: 409,
    e.QueueNotOpen: 409,
    e.QueueNotOrdered: 409,
    e.RegistrationRequired: 409,
    e.TicketsNotOpen: 409,
    e.TicketsClosed: 409,
    e.NoTicket: 404,
    e.CapacityBelowTaken: 409,
    e.NotAcceptable: 406,
    e.ReviewNoMatch: 422,
    e.ReviewBefore2005: 422,
    e.TooManyAttempts: 429,
}

JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False)
    return Response(body=text, status_code=status, headers={**JSON_HEADERS, **(headers or {})})


def busy_retry_after() -> str:
    """A herd told to come back at the same second comes back as a herd: spread it."""
    return str(random.randint(1, 3))  # noqa: S311 (spreading load, not a secret)


def error_response(error: e.DomainError) -> Response:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    headers: dict[str, str] = {}
    if isinstance(error, e.InvalidRequest):
        body["field"] = error.field
    if isinstance(error, e.TooManyAttempts):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, e.Busy):
        headers["Retry-After"] = busy_retry_after()
    return json_response(body, STATUS.get(type(error), 400), headers)


# The database's answers that mean "too much at once" or "not now": each is 503 BUSY, never a 500
# (api.md conventions). Codes of the whole request, then of one item of a cancelled transaction.
OVERLOAD_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "TransactionInProgressException",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
    }
)
OVERLOAD_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error, what it wraps (a PynamoDB error's `cause`) and what it was raised from."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        cause = getattr(current, "cause", None)
        pending += [cause if isinstance(cause, BaseException) else None, current.__cause__, current.__context__]


def overloaded(error: BaseException) -> bool:
    """Throttling, a transaction conflict past its bounded retry, an internal error of the
    database, or no connection to it."""
    for cause in _causes(error):
        if isinstance(cause, HTTPClientError | ConnectionError):
            return True
        if isinstance(cause, ClientError):
            code = cause.response.get("Error", {}).get("Code", "")
            status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            reasons = {str(r.get("Code")) for r in cause.response.get("CancellationReasons", None) or []}
            reasons |= {str(getattr(r, "code", None)) for r in getattr(cause, "cancellation_reasons", None) or []}
            if code in OVERLOAD_CODES or status >= 500 or reasons & OVERLOAD_REASONS:
                return True
    return False


# The framework's own refusals, as the contract's code and message.
FRAMEWORK_ERRORS = {
    405: ("METHOD_NOT_ALLOWED", "该地址不支持这种请求方式。"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "不支持这种请求内容类型（Content-Type），请以 JSON 发送（application/json）。"),
}


def contract_shaped(response: Response) -> Response:
    """The framework's own errors (405 for a wrong method, 415 for a refused Content-Type) in the
    contract's shape."""
    body = response.body
    known = FRAMEWORK_ERRORS.get(response.status_code)
    if known and isinstance(body, dict) and "Code" in body:
        code, message = known
        headers = {name: value for name, value in response.headers.items() if isinstance(value, str)}
        return json_response({"code": code, "message": message}, response.status_code, headers)
    return response


def handles_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Chalice middleware never sees a view's exception, so each view is wrapped here."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except e.DomainError as error:
            if isinstance(error, e.TooManyAttempts):
                logger().warning("login throttled", extra={"view": view.__name__, "retry_after": error.retry_after})
            return error_response(error)
        except Exception as error:
            if overloaded(error):
                logger().warning("database overloaded", extra={"view": view.__name__, "error": type(error).__name__})
                return error_response(e.Busy())
            logger().exception("unhandled error", extra={"view": view.__name__})
            body = {"code": "INTERNAL_ERROR", "message": "系统繁忙，请稍后重试；您的报名信息不会丢失。"}
            return json_response(body, 500)

    return wrapper
