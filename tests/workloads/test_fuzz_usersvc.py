"""Bad input at volume against the real usersvc (gunicorn + PostgreSQL): every case is a clear error.

Hypothesis sends malformed and odd bodies, huge bodies and odd user names. Each answer must be JSON
with ``ok``: either a success that stored exactly what was sent, or a 4xx with ``ok: false`` and an
``error`` that left the table untouched. The process must keep serving after every case.
"""

import http.client
import json
import select
import socket
import string
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MAX_BODY_BYTES = 16 * 1024
MAX_NAME_CHARS = 128
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
user_objects = st.dictionaries(st.sampled_from(["fullname", "password", "admin", "uuid", ""]),
                               json_values | st.text(max_size=30), max_size=4)
bodies = st.one_of(
    st.binary(max_size=1024),
    st.text(max_size=300).map(str.encode),
    json_values.map(lambda v: json.dumps(v).encode()),
    user_objects.map(lambda v: json.dumps(v).encode()),
    # Valid JSON cut short, with stray bytes, or in another encoding.
    user_objects.map(lambda v: json.dumps(v).encode()[:-1]),
    user_objects.map(lambda v: json.dumps(v).encode() + b"\x00\xff"),
    user_objects.map(lambda v: json.dumps(v).encode("utf-16")),
)
TRICKY = ["", ".", "..", "/", "a/b", "health", "o'brien", '"quoted"', "'; DROP TABLE users; --", "%", "%00", "?q=1",
          "#frag", "\\", "a\tb", "\x00", "\x7f", "\u2028", "\ufeff", "名前", "🙂", " ", "a" * 129, "é" * 128]
names = st.one_of(
    st.sampled_from(TRICKY),
    st.text(alphabet=string.printable + "éß名🙂\u2028\x00\x7f", max_size=40),
    st.text(max_size=150),
)


def row_count(postgres):
    return postgres.query("SELECT count(*) FROM users")[0][0]


def stored(postgres, name):
    return postgres.query("SELECT uuid, fullname FROM users WHERE username = %s", (name,))


def assert_refused(response, statuses=range(400, 500)):
    body = response.json()
    assert response.status in statuses, (response.status, body)
    assert body["ok"] is False and isinstance(body["error"], str) and body["error"], body


def assert_still_serving(usersvc):
    usersvc.process.ensure_alive()
    assert usersvc.call("GET", "/user/health").status == 200


@SETTINGS
@given(body=bodies)
def test_any_put_body_is_stored_exactly_or_refused_without_a_trace(usersvc, postgres, body):
    before_rows, before_user = row_count(postgres), stored(postgres, "fuzz-body")
    response = usersvc.call("PUT", "/user/fuzz-body", body, headers={"Content-Type": "application/json"})
    if response.status == 200:
        sent = json.loads(body)
        assert set(sent) == {"fullname", "password"}
        assert stored(postgres, "fuzz-body") == [(response.json()["uuid"], sent["fullname"])]
        assert row_count(postgres) == before_rows + (0 if before_user else 1)
    else:
        assert_refused(response)
        assert row_count(postgres) == before_rows and stored(postgres, "fuzz-body") == before_user
    assert_still_serving(usersvc)


def send_large(address, port, path, body, chunked):
    """PUT ``body`` the way Envoy and curl do: stop sending once the server answers early; (status, JSON body).

    http.client would keep writing into a closed connection and report a broken pipe instead of the answer.
    """
    head = f"PUT {path} HTTP/1.1\r\nHost: usersvc\r\nContent-Type: application/json\r\n".encode()
    if chunked:
        head += b"Transfer-Encoding: chunked\r\n\r\n"
        pieces = [body[i:i + 65536] for i in range(0, len(body), 65536)]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"
    else:
        head += b"Content-Length: %d\r\n\r\n" % len(body)
        payload = body
    with socket.create_connection((address, port), timeout=30) as sock:
        sock.sendall(head)
        sent = 0
        while sent < len(payload):
            readable, writable, dummy = select.select([sock], [sock], [], 30)
            if readable:
                break
            if writable:
                try:
                    sent += sock.send(payload[sent:sent + 65536])
                except OSError:
                    break
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, json.loads(response.read())


@settings(max_examples=12, deadline=None)
@given(size=st.integers(MAX_BODY_BYTES + 1, 4 * 1024 * 1024), chunked=st.booleans())
def test_huge_bodies_are_refused_and_store_nothing(usersvc, postgres, size, chunked):
    before_rows = row_count(postgres)
    body = b'{"fullname": "' + b"F" * size + b'", "password": "x"}'
    status, payload = send_large(usersvc.address, usersvc.port, "/user/fuzz-huge", body, chunked)
    assert 400 <= status < 500 and payload["ok"] is False and payload["error"], (status, payload)
    if not chunked:
        assert status == 413, payload
    assert row_count(postgres) == before_rows
    assert_still_serving(usersvc)


@settings(max_examples=10, deadline=None)
@given(tail=st.binary(min_size=1, max_size=4096), chunked=st.booleans())
def test_a_body_over_the_limit_is_refused_even_if_it_starts_valid(usersvc, postgres, tail, chunked):
    # Valid JSON up to the limit, then anything: the body as a whole is too large (and not JSON).
    valid = json.dumps({"fullname": "Cut", "password": "pw"}).encode()
    body = valid + b" " * (MAX_BODY_BYTES - len(valid)) + tail
    before_rows = row_count(postgres)
    status, payload = send_large(usersvc.address, usersvc.port, "/user/fuzz-cut", body, chunked)
    assert status == 413 and payload["ok"] is False, (status, payload)
    assert row_count(postgres) == before_rows
    assert_still_serving(usersvc)


def acceptable_name(name):
    """What the API promises to accept: 1 to 128 characters, no control characters, no path separator."""
    return (0 < len(name) <= MAX_NAME_CHARS and "/" not in name
            and not any(ord(ch) < 32 or ord(ch) == 127 for ch in name))


@SETTINGS
@given(name=names)
def test_odd_user_names_round_trip_or_are_refused(usersvc, postgres, name):
    path = "/user/" + quote(name, safe="")
    before_rows = row_count(postgres)
    response = usersvc.call("PUT", path, {"fullname": f"Full {name}"[:200] or "x", "password": "pw"})
    if acceptable_name(name) and name != "health":
        assert response.status == 200, (response.status, response.body)
        fetched = usersvc.call("GET", path)
        assert fetched.status == 200 and fetched.json()["uuid"] == response.json()["uuid"]
        assert len(stored(postgres, name)) == 1
    else:
        # "" and names with "/" match no route (404); the others are refused as bad names (400).
        assert_refused(response, statuses=(400, 404))
        assert row_count(postgres) == before_rows
    assert_still_serving(usersvc)


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(min_size=1, max_size=24))
def test_percent_encoded_bytes_that_are_not_utf8_are_refused(usersvc, postgres, raw):
    path = "/user/" + "".join(f"%{byte:02X}" for byte in raw)
    before_rows = row_count(postgres)
    response = usersvc.call("PUT", path, {"fullname": "Raw", "password": "pw"})
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        assert_refused(response)
        assert row_count(postgres) == before_rows
    else:
        assert response.status == (200 if acceptable_name(name) and name != "health" else response.status)
        if response.status != 200:
            assert_refused(response, statuses=(400, 404))
    assert_still_serving(usersvc)
