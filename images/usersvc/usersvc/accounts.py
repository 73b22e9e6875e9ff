"""PUT /user/<name>: create a user, or change an existing one only with proof of its password.

- A new name is created with the body's full name and password.
- The stored password in ``password``: the full name may change; the same PUT again changes nothing.
- Another ``password``: only with the stored one in ``current_password``; then both fields change.
- Anything else is a 409 that changes nothing, so nobody takes a name over by PUTting a new password.
"""

from .errors import ApiError
from .passwords import hash_password, verify_password

# The write checks the stored hash that the decision was made on; when a concurrent request changed
# or created the user in between, the decision is made again on the new row.
ATTEMPTS = 3


def put_user(store, name, body):
    """The user as it is stored after the PUT described by ``body`` (a validation.UserBody)."""
    for _attempt in range(ATTEMPTS):
        stored = store.get_stored(name)
        if stored is None:
            user = store.insert(name, body.fullname, hash_password(body.password))
        else:
            user = _change(store, name, stored, body)
        if user is not None:
            return user
    raise ApiError(409, f"user {name!r} was changed by another request meanwhile; send the PUT again")


def _change(store, name, stored, body):
    """The changed (or unchanged) user; None when the row changed under us; ApiError(409) without proof."""
    if verify_password(body.password, stored.password_hash):
        if body.fullname == stored.fullname:
            return stored.public()
        return store.update(name, body.fullname, stored.password_hash, expected_hash=stored.password_hash)
    if body.current_password is None:
        raise ApiError(409, f"user {name!r} exists with another password: to change it, send the stored "
                            "password in current_password")
    if not verify_password(body.current_password, stored.password_hash):
        raise ApiError(409, f"current_password is not the stored password of user {name!r}; nothing changed")
    return store.update(name, body.fullname, hash_password(body.password), expected_hash=stored.password_hash)
