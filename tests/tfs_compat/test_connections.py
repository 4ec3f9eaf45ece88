"""Idle, slow and malformed HTTP connections: closed after a bounded time, answered without a traceback.

TF Serving sets no timeout on its libevent front (evhttp_server.cc never calls evhttp_set_timeout;
libevent 2.1.12 http.c evhttp_get_request applies one only if set), so an idle connection stays open
forever there. The compatible server closes a connection that sends nothing for libevent's default
HTTP_READ_TIMEOUT (50 s, http-internal.h); these tests shorten it to READ_TIMEOUT_S through the
server's TFS_COMPAT_HTTP_READ_TIMEOUT_S environment variable.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.tfs_compat.harness import EXTERNAL, NEEDS_OWN_SERVER

READ_TIMEOUT_S = 2.0


@pytest.fixture(scope="module")
def short_timeout_server(module_servers, model_sources):
    if EXTERNAL:
        pytest.skip(NEEDS_OWN_SERVER)
    mp = pytest.MonkeyPatch()
    mp.setenv("TFS_COMPAT_HTTP_READ_TIMEOUT_S", str(READ_TIMEOUT_S))
    try:  # the server process copies the environment when it starts
        return module_servers.start(
            ["--model_name=half_plus_two", f"--model_base_path={model_sources['plus2'].parent}"],
            models=["half_plus_two"], name="short-timeout")
    finally:
        mp.undo()


def _connect(srv):
    sock = socket.create_connection(("127.0.0.1", srv.rest_port), timeout=10)
    sock.settimeout(READ_TIMEOUT_S * 5)
    return sock


def _read_until_closed(sock) -> tuple[float, bytes]:
    """(seconds until the server closed the connection, everything it sent before)."""
    start = time.monotonic()
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return time.monotonic() - start, data
        data += chunk


@pytest.mark.parametrize("sent", [
    b"",  # connects and says nothing
    b"GET /v1/models/half_plus_two HT",  # half a request line
    b"GET /v1/models/half_plus_two HTTP/1.1\r\nHost: x\r\n",  # headers never finished
    b"POST /v1/models/half_plus_two:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{\"inst",  # body stalls
], ids=["idle", "half-request-line", "unfinished-headers", "stalled-body"])
def test_silent_connection_is_closed(short_timeout_server, sent):
    with _connect(short_timeout_server) as sock:
        sock.sendall(sent)
        waited, data = _read_until_closed(sock)
    assert data == b""  # closed without an answer, as libevent closes on a read timeout
    assert READ_TIMEOUT_S * 0.9 <= waited < READ_TIMEOUT_S * 4, waited


def test_idle_keep_alive_connection_is_closed_after_an_answer(short_timeout_server):
    with _connect(short_timeout_server) as sock:
        sock.sendall(b"GET /v1/models/half_plus_two HTTP/1.1\r\nHost: x\r\n\r\n")
        waited, data = _read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 200 OK"), data[:200]
    assert waited < READ_TIMEOUT_S * 4, waited


def test_missing_host_header_is_a_json_error_logged_in_one_line(short_timeout_server):
    # HTTP/1.1 requires Host (RFC 9112 3.2); aiohttp refuses the request before the handler runs,
    # libevent would serve it (README, deviations). Either way: no traceback, TF Serving's error shape.
    srv = short_timeout_server
    with _connect(srv) as sock:
        sock.sendall(b"GET /v1/models/half_plus_two HTTP/1.1\r\n\r\n")
        _, data = _read_until_closed(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") or head.startswith(b"HTTP/1.0 400"), head
    assert b"Content-Type: application/json" in head, head
    assert json.loads(body) == {"error": "Missing 'Host' header in request."}
    log = srv.wait_log("Missing 'Host' header", timeout=10)
    assert "Traceback" not in log
    assert sum("Missing 'Host' header" in line for line in log.splitlines()) == 1


def test_server_still_answers_after_closing_connections(short_timeout_server, http):
    resp = http.get(f"{short_timeout_server.rest_url}/v1/models/half_plus_two", timeout=30)
    assert resp.status_code == 200
    assert resp.json()["model_version_status"][0]["state"] == "AVAILABLE"
