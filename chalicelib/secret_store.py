"""A province's Secrets Manager secrets, read through Powertools Parameters and cached there."""

from __future__ import annotations

from typing import Any

from chalicelib.logs import logger


def json_secret(name: str, max_age: int, unreadable: str, force: bool = False) -> dict[str, Any] | None:
    """The secret `name` as a JSON object, at most `max_age` seconds old (`force`: read it now).
    None when it cannot be read or is not an object: logged as `unreadable`, with the secret's
    name and what went wrong, never with its value."""
    from aws_lambda_powertools.utilities import parameters

    try:
        secret: object = parameters.get_secret(name, transform="json", max_age=max_age, force_fetch=force)
    except (parameters.exceptions.GetParameterError, parameters.exceptions.TransformParameterError) as error:
        logger().error(unreadable, extra={"secret_name": name, "error": type(error).__name__})
        return None
    if not isinstance(secret, dict):
        logger().error(unreadable, extra={"secret_name": name, "error": "not a JSON object"})
        return None
    return secret
