"""Captchas, accounts, sessions, the home page state and the agreement (R-ACC, R-QUAL-1)."""

from __future__ import annotations

from chalice.app import Blueprint, Request, Response

from chalicelib.api import render
from chalicelib.api.errors import handles_errors, json_response
from chalicelib.api.requests import (
    BODY_TYPES,
    bearer_token,
    client_address,
    current_request,
    flag,
    json_body,
    new_password,
    text,
)
from chalicelib.bootstrap import services
from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import iso
from chalicelib.domain.errors import BadCredentials, InvalidRequest, TooManyAttempts
from chalicelib.domain.registration import AccountFile
from chalicelib.metrics import count
from chalicelib.services import accounts
from chalicelib.services.home import home_state

bp = Blueprint(__name__)


def _request() -> Request:
    return current_request(bp)


def signed_in() -> Account:
    return accounts.authenticate(services().accounts, bearer_token(_request()))


def signed_in_file() -> tuple[Account, AccountFile]:
    """The session, then the account's whole partition in one query (see services.accounts)."""
    built = services()
    return accounts.authenticate_file(built.accounts, built.registration.registrations, bearer_token(_request()))


@bp.route("/captchas", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def create_captcha() -> Response:
    issued = accounts.issue_captcha(services().accounts)
    body = {"captcha_id": issued.captcha_id, "image": issued.image_data_url}
    if services().settings.test_mode:
        body["answer"] = issued.answer
    return json_response(body, 201)


@bp.route("/accounts", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def create_account() -> Response:
    body = json_body(_request())
    account_id = accounts.register(
        services().accounts,
        text(body, "login"),
        new_password(body),
        text(body, "captcha_id"),
        text(body, "captcha_answer"),
    )
    return json_response({"account_id": account_id}, 201)


@bp.route("/sessions", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def create_session() -> Response:
    request = _request()
    body = json_body(request)
    try:
        session = accounts.log_in(
            services().accounts,
            text(body, "login"),
            text(body, "password", 128),
            text(body, "captcha_id"),
            text(body, "captcha_answer"),
            client_address(request),
        )
    except (BadCredentials, TooManyAttempts) as refused:
        count("LoginFailures", outcome=refused.code)
        raise
    return json_response({"token": session.token, "expires_at": iso(session.expires_at)}, 201)


@bp.route("/sessions/current", methods=["DELETE"], content_types=BODY_TYPES)
@handles_errors
def delete_session() -> Response:
    signed_in()
    accounts.log_out(services().accounts, bearer_token(_request()) or "")
    return Response(body="", status_code=204)


@bp.route("/me", methods=["GET"])
@handles_errors
def me() -> Response:
    account, file = signed_in_file()
    ctx = services().registration
    state = home_state(ctx, account, file)
    catalog = ctx.catalogs.catalog()
    body = {
        "account_id": account.account_id,
        "login": account.login,
        "role": account.role.value,
        "school_id": account.school_id,
        "agreement_accepted": account.agreement_accepted_at is not None,
        "registration": render.registration(state.registration, catalog, ctx.clock.now())
        if state.registration
        else None,
        "cet6_review": render.review(state.review),
        "window": render.window(state.window),
        # R-PAY-3: back from the payment platform, on any device, the page finds the order to 更新
        "open_order_id": state.open_order_id,
    }
    return json_response(body)


@bp.route("/me/agreement", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def accept_agreement() -> Response:
    account = signed_in()
    if not flag(json_body(_request()), "accepted"):
        raise InvalidRequest("accepted", "须为 true：请阅读并同意报名协议")
    accounts.accept_agreement(services().accounts, account)
    return Response(body="", status_code=204)
