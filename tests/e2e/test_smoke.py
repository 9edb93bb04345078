from __future__ import annotations

import json

from chalice.test import Client

from tests import factories


def call(client: Client, method: str, path: str, body: object = None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body) if body is not None else None
    response = getattr(client.http, method.lower())(path, headers=headers, body=data)
    return response.status_code, (json.loads(response.body) if response.body else None)


def test_flow(client: Client) -> None:
    status, captcha = call(client, "POST", "/captchas")
    assert status == 201, captcha
    status, body = call(
        client,
        "POST",
        "/accounts",
        {
            "login": "a@b.cn",
            "password": "abc12345x",
            "captcha_id": captcha["captcha_id"],
            "captcha_answer": captcha["answer"],
        },
    )
    assert status == 201, body
    _, captcha = call(client, "POST", "/captchas")
    status, session = call(
        client,
        "POST",
        "/sessions",
        {
            "login": "a@b.cn",
            "password": "abc12345x",
            "captcha_id": captcha["captcha_id"],
            "captcha_answer": captcha["answer"],
        },
    )
    assert status == 201, session
    token = session["token"]
    assert call(client, "POST", "/me/agreement", {"accepted": True}, token)[0] == 204
    who = {"id_type": "resident_id", "id_number": factories.ZHANG.id_number, "name": "张三"}
    status, body = call(client, "POST", "/qualification", who, token)
    assert status == 200, body
    print(body)
    status, body = call(client, "POST", "/registration", {**who, "confirm": True}, token)
    assert status == 201, body
    status, body = call(client, "POST", "/registration/subjects", {"subject": "CET4"}, token)
    assert status == 201, body
    status, body = call(client, "GET", "/oral-campuses?subject=CET-SET4", None, token)
    assert status == 200, body
    print(body)
    status, body = call(client, "POST", "/registration/subjects", {"subject": "CET-SET4", "campus_id": "NJU-GL"}, token)
    assert status == 201, body
    print(body)
    status, body = call(client, "DELETE", "/registration/subjects/CET-SET4", None, token)
    assert status == 200, body
    status, body = call(client, "GET", "/me", None, token)
    print(body)
