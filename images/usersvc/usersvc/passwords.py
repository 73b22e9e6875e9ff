"""Salted password hashing with the standard library's scrypt.

Stored form: ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`` so the cost can be raised later
without breaking existing rows.
"""

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
COST_N = 2**14
BLOCK_SIZE_R = 8
PARALLELISM_P = 1
SALT_BYTES = 16
KEY_BYTES = 32


def _b64(raw):
    return base64.b64encode(raw).decode("ascii")


def _derive(password, salt, n, r, p):
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES)


def hash_password(password):
    """Return the stored form of ``password`` with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, COST_N, BLOCK_SIZE_R, PARALLELISM_P)
    return "$".join((SCHEME, str(COST_N), str(BLOCK_SIZE_R), str(PARALLELISM_P), _b64(salt), _b64(key)))


def verify_password(password, stored):
    """Tell whether ``password`` matches a value made by :func:`hash_password`."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(key, validate=True)
        actual = _derive(password, base64.b64decode(salt, validate=True), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(expected, actual)
