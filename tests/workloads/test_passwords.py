"""Password hashing (pure logic)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from usersvc.passwords import hash_password, verify_password


def test_hash_has_scheme_parameters_salt_and_key():
    stored = hash_password("alicerules")
    scheme, n, r, p, salt, key = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert salt and key
    assert "alicerules" not in stored


def test_same_password_gets_a_new_salt_each_time():
    assert hash_password("alicerules") != hash_password("alicerules")


def test_verify_accepts_the_password_and_rejects_others():
    stored = hash_password("alicerules")
    assert verify_password("alicerules", stored)
    assert not verify_password("alicerule", stored)
    assert not verify_password("", stored)


def test_verify_rejects_malformed_or_foreign_values():
    stored = hash_password("x")
    assert not verify_password("x", "plain-text")
    assert not verify_password("x", stored.replace("scrypt", "md5", 1))
    assert not verify_password("x", stored[:-4] + "!!!!")


@settings(max_examples=10, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_password_round_trips(password):
    assert verify_password(password, hash_password(password))
