"""usersvc as the real gunicorn process against a real PostgreSQL: routes, errors, storage."""

import re
import threading
from urllib.parse import quote

import pytest

from usersvc.passwords import verify_password

UUID = re.compile(r"^[0-9A-F]{32}$")


def user_path(name):
    return "/user/" + quote(name, safe="")


def put(usersvc, name, fullname, password):
    return usersvc.call("PUT", user_path(name), {"fullname": fullname, "password": password})


def assert_error(response, status, fragment=""):
    body = response.json()
    assert response.status == status, body
    assert body["ok"] is False
    assert isinstance(body["error"], str) and fragment in body["error"]
    assert body["hostname"] == "usersvc-test"


def stored_rows(postgres, name):
    return postgres.query("SELECT uuid, fullname, password FROM users WHERE username = %s", (name,))


def test_health_reports_pod_identity(usersvc):
    response = usersvc.call("GET", "/user/health")
    assert response.status == 200
    assert response.json() == {"ok": True, "msg": "user health check OK", "hostname": "usersvc-test",
                               "resolvedname": "127.0.0.1"}


def test_put_then_get_returns_the_user(usersvc):
    created = put(usersvc, "alice", "Alice", "alicerules")
    assert created.status == 200
    body = created.json()
    assert body["ok"] is True and body["fullname"] == "Alice" and UUID.match(body["uuid"])
    assert body["hostname"] == "usersvc-test" and body["resolvedname"] == "127.0.0.1"
    fetched = usersvc.call("GET", "/user/alice")
    assert fetched.status == 200
    assert fetched.json() == body
    assert "password" not in fetched.json()


def test_password_is_stored_as_a_salted_hash(usersvc, postgres):
    put(usersvc, "carol", "Carol", "carolrules")
    ((*_ids, stored),) = stored_rows(postgres, "carol")
    assert stored != "carolrules" and "carolrules" not in stored
    assert stored.startswith("scrypt$")
    assert verify_password("carolrules", stored)
    put(usersvc, "dave", "Dave", "carolrules")
    ((*_ids, other),) = stored_rows(postgres, "dave")
    assert other != stored


def test_the_same_put_again_is_200_and_changes_nothing(usersvc, postgres):
    first = put(usersvc, "bob", "Bob", "bobrules")
    before = stored_rows(postgres, "bob")
    again = put(usersvc, "bob", "Bob", "bobrules")
    assert (first.status, again.status) == (200, 200)
    assert again.json()["uuid"] == first.json()["uuid"] and again.json()["fullname"] == "Bob"
    # Not even a new salt: the row is exactly as it was.
    assert stored_rows(postgres, "bob") == before


def test_a_put_with_the_stored_password_updates_the_full_name(usersvc, postgres):
    first = put(usersvc, "frank", "Frank", "frankrules").json()
    ((*_ids, stored_hash),) = stored_rows(postgres, "frank")
    renamed = put(usersvc, "frank", "Franklin", "frankrules")
    assert renamed.status == 200
    assert renamed.json()["uuid"] == first["uuid"] and renamed.json()["fullname"] == "Franklin"
    assert stored_rows(postgres, "frank") == [(first["uuid"], "Franklin", stored_hash)]
    assert usersvc.call("GET", "/user/frank").json()["fullname"] == "Franklin"


@pytest.mark.parametrize("extra", [{}, {"current_password": "guess"}], ids=["no current_password", "wrong one"])
def test_a_put_with_another_password_cannot_take_a_user_over(usersvc, postgres, extra):
    put(usersvc, "grace", "Grace", "gracerules")
    before = stored_rows(postgres, "grace")
    taken = usersvc.call("PUT", "/user/grace", {"fullname": "Mallory", "password": "mallory", **extra})
    assert_error(taken, 409, "current_password")
    assert stored_rows(postgres, "grace") == before
    assert verify_password("gracerules", before[0][2])
    assert usersvc.call("GET", "/user/grace").json()["fullname"] == "Grace"


def test_the_stored_password_in_current_password_changes_the_password(usersvc, postgres):
    first = put(usersvc, "heidi", "Heidi", "heidirules").json()
    changed = usersvc.call("PUT", "/user/heidi",
                           {"fullname": "Heidi K", "password": "newpass", "current_password": "heidirules"})
    assert changed.status == 200 and changed.json()["uuid"] == first["uuid"]
    ((uuid, fullname, stored_hash),) = stored_rows(postgres, "heidi")
    assert (uuid, fullname) == (first["uuid"], "Heidi K")
    assert verify_password("newpass", stored_hash) and not verify_password("heidirules", stored_hash)
    # The old password proves nothing any more; the new one does.
    assert_error(put(usersvc, "heidi", "Heidi", "heidirules"), 409)
    assert put(usersvc, "heidi", "Heidi", "newpass").status == 200


@pytest.mark.parametrize("name", [
    "o'brien",
    'say "hi"',
    "Robert'); DROP TABLE users;--",
    "100% _match_",
    "back\\slash",
    "名前",
    "émilie",
    "emoji-🙂",
    "semi;colon & ampersand?",
])
def test_names_with_quotes_unicode_and_sql_metacharacters(usersvc, postgres, name):
    created = put(usersvc, name, f"Full {name}", "pw")
    assert created.status == 200, created.body
    fetched = usersvc.call("GET", user_path(name))
    assert fetched.status == 200
    assert fetched.json()["uuid"] == created.json()["uuid"]
    assert fetched.json()["fullname"] == f"Full {name}"
    assert len(stored_rows(postgres, name)) == 1


def race(count, send):
    """``send(index)`` from ``count`` threads released at once; the answers in index order."""
    results = [None] * count
    barrier = threading.Barrier(count)

    def worker(index):
        barrier.wait()
        results[index] = send(index)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_creations_of_one_name_leave_one_row_and_one_owner(usersvc, postgres):
    results = race(16, lambda i: put(usersvc, "racer", f"Racer {i}", f"pw{i}"))
    winners = [i for i, r in enumerate(results) if r.status == 200]
    assert len(winners) == 1, [(r.status, r.json()) for r in results]
    assert all(r.status == 409 and r.json()["ok"] is False for i, r in enumerate(results) if i != winners[0])
    ((uuid, fullname, stored_hash),) = stored_rows(postgres, "racer")
    assert uuid == results[winners[0]].json()["uuid"] and fullname == f"Racer {winners[0]}"
    assert verify_password(f"pw{winners[0]}", stored_hash)


def test_concurrent_password_changes_with_the_same_proof_let_one_through(usersvc, postgres):
    """Each change is checked against the row it was decided on, so a proof is good for one change only."""
    put(usersvc, "ivan", "Ivan", "ivanrules")
    results = race(8, lambda i: usersvc.call("PUT", "/user/ivan", {
        "fullname": f"Ivan {i}", "password": f"new{i}", "current_password": "ivanrules"}))
    winners = [i for i, r in enumerate(results) if r.status == 200]
    assert len(winners) == 1, [(r.status, r.json()) for r in results]
    assert {r.status for r in results} == {200, 409}
    ((dummy, fullname, stored_hash),) = stored_rows(postgres, "ivan")
    assert fullname == f"Ivan {winners[0]}" and verify_password(f"new{winners[0]}", stored_hash)


def test_unknown_user_is_404(usersvc):
    assert_error(usersvc.call("GET", "/user/nobody-here"), 404, "not found")


@pytest.mark.parametrize("body, fragment", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"fullname": "Eve"}', "missing field"),
    ('{"password": "x"}', "missing field"),
    ('{"fullname": ["Eve"], "password": "x"}', "fullname must be a string"),
    ('{"fullname": "Eve", "password": 12345}', "password must be a string"),
    ('{"fullname": "Eve", "password": "x", "role": "admin"}', "unexpected field"),
    ("", "not valid JSON"),
])
def test_bad_bodies_are_400(usersvc, postgres, body, fragment):
    assert_error(usersvc.call("PUT", "/user/eve", body, headers={"Content-Type": "application/json"}), 400, fragment)
    assert stored_rows(postgres, "eve") == []


def test_huge_body_is_413(usersvc):
    body = '{"fullname": "%s", "password": "x"}' % ("F" * 100_000)
    assert_error(usersvc.call("PUT", "/user/huge", body), 413)


def test_health_is_not_a_user_name(usersvc):
    assert_error(put(usersvc, "health", "H", "x"), 400, "reserved")


def test_control_characters_in_names_are_400(usersvc):
    assert_error(usersvc.call("GET", "/user/a%00b"), 400, "control characters")


def test_unknown_route_and_method_answer_json(usersvc):
    assert_error(usersvc.call("GET", "/nothing"), 404)
    assert_error(usersvc.call("DELETE", "/user/alice"), 405)


def test_wildcard_characters_match_only_themselves(usersvc):
    assert put(usersvc, "w_ld%", "Wild", "pw").status == 200
    assert_error(usersvc.call("GET", user_path("wxld%")), 404)
    assert_error(usersvc.call("GET", user_path("w_ldcard")), 404)


def test_answers_print_one_field_a_line_for_the_tutorials_grep(usersvc):
    """The tutorial's loop is `curl -s $URL | grep resolvedname | tr -d ' ,"'`: one key per line."""
    put(usersvc, "alice", "Alice", "alicerules")
    text = usersvc.call("GET", "/user/alice").body.decode()
    lines = [line for line in text.splitlines() if "resolvedname" in line]
    assert len(lines) == 1, text
    assert lines[0].translate(str.maketrans("", "", ' ,"')) == "resolvedname:127.0.0.1"
