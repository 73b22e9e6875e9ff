"""Checks on user names and request bodies; raise ApiError with a message the client can act on."""

import json
from dataclasses import dataclass

from .errors import ApiError

MAX_NAME_CHARS = 128
MAX_FULLNAME_CHARS = 256
MAX_PASSWORD_CHARS = 1024
USER_FIELDS = ("fullname", "password")
# Proof of the stored password, needed only to change the password of an existing user.
OPTIONAL_FIELDS = ("current_password",)
# /user/health is the health check, so no user may take that name.
RESERVED_NAMES = frozenset({"health"})


def _has_control_chars(text):
    # PostgreSQL text cannot hold NUL; other control characters are never legitimate here.
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def check_username(name):
    if not name or len(name) > MAX_NAME_CHARS:
        raise ApiError(400, f"user name must be 1 to {MAX_NAME_CHARS} characters")
    if _has_control_chars(name):
        raise ApiError(400, "user name must not contain control characters")


def check_new_username(name):
    check_username(name)
    if name in RESERVED_NAMES:
        raise ApiError(400, f"user name {name!r} is reserved")


@dataclass(frozen=True)
class UserBody:
    fullname: str
    password: str
    current_password: str | None = None


def parse_user_body(raw):
    """Return the UserBody of a PUT body, or raise ApiError(400)."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    unknown = sorted(set(body) - set(USER_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise ApiError(400, f"unexpected field(s): {', '.join(unknown)}")
    missing = [field for field in USER_FIELDS if field not in body]
    if missing:
        raise ApiError(400, f"missing field(s): {', '.join(missing)}")
    return UserBody(
        fullname=_string_field(body, "fullname", MAX_FULLNAME_CHARS),
        password=_string_field(body, "password", MAX_PASSWORD_CHARS),
        current_password=(_string_field(body, "current_password", MAX_PASSWORD_CHARS)
                          if "current_password" in body else None),
    )


def _string_field(body, field, max_chars):
    value = body[field]
    if not isinstance(value, str):
        raise ApiError(400, f"{field} must be a string")
    if not value or len(value) > max_chars:
        raise ApiError(400, f"{field} must be 1 to {max_chars} characters")
    if "\x00" in value:
        raise ApiError(400, f"{field} must not contain NUL characters")
    return value
