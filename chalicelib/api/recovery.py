"""A forgotten password and a new login (R-ACC-3, R-ACC-4)."""

from __future__ import annotations

from chalice.app import Blueprint, Request, Response

from chalicelib.api.accounts import signed_in
from chalicelib.api.errors import handles_errors, json_response
from chalicelib.api.requests import (
    BODY_TYPES,
    bearer_token,
    client_address,
    current_request,
    json_body,
    new_password,
    text,
)
from chalicelib.bootstrap import services
from chalicelib.services import recovery

bp = Blueprint(__name__)


def _request() -> Request:
    return current_request(bp)


@bp.route("/password-resets", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def request_reset() -> Response:
    request = _request()
    body = json_body(request)
    recovery.request_password_reset(
        services().recovery,
        text(body, "login"),
        text(body, "captcha_id"),
        text(body, "captcha_answer"),
        client_address(request),
    )
    return json_response({}, 202)  # the same answer whether or not the login exists


@bp.route("/password-resets/confirm", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def confirm_reset() -> Response:
    request = _request()
    body = json_body(request)
    recovery.confirm_password_reset(
        services().recovery,
        text(body, "login"),
        text(body, "code", 16),
        new_password(body, "new_password"),
        client_address(request),
    )
    return Response(body="", status_code=204)


@bp.route("/me/login-codes", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def request_login_code() -> Response:
    account = signed_in()
    request = _request()
    recovery.request_login_code(
        services().recovery, account, text(json_body(request), "new_login"), client_address(request)
    )
    return json_response({}, 202)


@bp.route("/me/login", methods=["PUT"], content_types=BODY_TYPES)
@handles_errors
def change_login() -> Response:
    account = signed_in()
    request = _request()
    body = json_body(request)
    login = recovery.change_login(
        services().recovery,
        account,
        text(body, "new_login"),
        text(body, "code", 16),
        text(body, "password", 128),
        bearer_token(request) or "",  # signed in: there is one
    )
    return json_response({"login": login})
