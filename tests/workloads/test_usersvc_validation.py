"""Request checks of usersvc (pure logic)."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from usersvc.errors import ApiError
from usersvc.validation import UserBody, check_new_username, check_username, parse_user_body


def test_valid_body_gives_fullname_and_password():
    assert parse_user_body(b'{"fullname": "Alice", "password": "alicerules"}') == UserBody("Alice", "alicerules")


def test_current_password_is_taken_when_sent():
    body = parse_user_body(b'{"fullname": "Alice", "password": "new", "current_password": "alicerules"}')
    assert body == UserBody("Alice", "new", current_password="alicerules")


@pytest.mark.parametrize("raw, fragment", [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[]", "JSON object"),
    (b'"text"', "JSON object"),
    (b'{"fullname": "Alice"}', "missing field(s): password"),
    (b"{}", "missing field(s): fullname, password"),
    (b'{"fullname": "A", "password": "p", "admin": true}', "unexpected field(s): admin"),
    (b'{"fullname": 7, "password": "p"}', "fullname must be a string"),
    (b'{"fullname": "A", "password": null}', "password must be a string"),
    (b'{"fullname": "", "password": "p"}', "fullname must be 1 to"),
    (b'{"fullname": "A\\u0000", "password": "p"}', "NUL"),
    (b'{"fullname": "A", "password": "p", "current_password": null}', "current_password must be a string"),
    (b'{"fullname": "A", "password": "p", "current_password": ""}', "current_password must be 1 to"),
])
def test_bad_bodies_are_400_with_a_reason(raw, fragment):
    with pytest.raises(ApiError) as caught:
        parse_user_body(raw)
    assert caught.value.status == 400
    assert fragment in caught.value.message


@given(st.dictionaries(st.sampled_from(["fullname", "password", "current_password", "other"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=3), st.lists(st.integers()))))
def test_any_json_object_is_accepted_or_rejected_with_400(body):
    try:
        parsed = parse_user_body(json.dumps(body).encode())
    except ApiError as exc:
        assert exc.status == 400
    else:
        expected = {"fullname": parsed.fullname, "password": parsed.password}
        if parsed.current_password is not None:
            expected["current_password"] = parsed.current_password
        assert body == expected


@pytest.mark.parametrize("name", ["", "a" * 129, "tab\there", "nul\x00"])
def test_bad_user_names_are_rejected(name):
    with pytest.raises(ApiError) as caught:
        check_username(name)
    assert caught.value.status == 400


def test_health_cannot_become_a_user():
    check_username("health")
    with pytest.raises(ApiError):
        check_new_username("health")
