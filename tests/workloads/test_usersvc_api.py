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


def test_repeated_put_updates_the_same_row(usersvc, postgres):
    first = put(usersvc, "bob", "Bob", "bobrules").json()
    second = put(usersvc, "bob", "Robert", "newpass").json()
    assert second["uuid"] == first["uuid"]
    assert second["fullname"] == "Robert"
    rows = stored_rows(postgres, "bob")
    assert len(rows) == 1
    assert rows[0][1] == "Robert" and verify_password("newpass", rows[0][2])
    assert usersvc.call("GET", "/user/bob").json()["fullname"] == "Robert"


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


def test_concurrent_puts_of_one_name_leave_one_row(usersvc, postgres):
    results = []
    barrier = threading.Barrier(16)

    def worker(index):
        barrier.wait()
        results.append(put(usersvc, "racer", f"Racer {index}", f"pw{index}"))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status for r in results] == [200] * 16
    assert len({r.json()["uuid"] for r in results}) == 1
    rows = stored_rows(postgres, "racer")
    assert len(rows) == 1
    assert rows[0][1] in {f"Racer {i}" for i in range(16)}


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
