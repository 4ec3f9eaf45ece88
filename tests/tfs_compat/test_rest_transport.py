"""REST transport details: URL edge cases, methods, libevent pages, gzip, headers, error layout."""

from __future__ import annotations

import gzip
import json
import socket
from urllib.parse import urlsplit

import pytest

from tests.tfs_compat.harness import assert_json_error

LIBEVENT_404 = (
    "<HTML><HEAD>\n<TITLE>404 Not Found</TITLE>\n</HEAD><BODY>\n<H1>Not Found</H1>\n</BODY></HTML>\n"
)


def raw_http(rest_url: str, request: bytes, timeout: float = 10.0) -> bytes:
    """Sends raw bytes on a fresh connection, returns everything until the server closes."""
    parts = urlsplit(rest_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as s:
        s.sendall(request)
        chunks = []
        while True:
            try:
                data = s.recv(65536)
            except socket.timeout:
                break
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/v1/models/half_plus_two:predict"),  # GET on an inference URL
        ("POST", "/v1/models/half_plus_two"),  # POST on a status URL
        ("POST", "/v1/models/half_plus_two/metadata"),
        ("PUT", "/v1/models/half_plus_two"),
        ("DELETE", "/v1/models/half_plus_two"),
        ("PATCH", "/v1/models/half_plus_two:predict"),
        ("GET", "/v1/foo"),
        ("POST", "/v1/models"),
        ("GET", "/v1/models/half_plus_two/"),  # trailing slash
        ("POST", "/v1/models/half_plus_two:predict/"),
        ("POST", "/v1/models/half_plus_two:PREDICT"),  # verb compared exactly
        ("POST", "/v1/models/half_plus_two/version/1:predict"),  # "version", not "versions"
        ("POST", "/v1/models/half_plus_two/versions/one:predict"),
        ("POST", "/v1/models/half_plus_two/versions/1/labels/x:predict"),
    ],
)
def test_malformed_request(http, rest_url, method, path):
    # source: tensorflow_serving/model_servers/http_rest_api_handler.cc ProcessRequest
    # ("Malformed request: <METHOD> <path>"), http_rest_api_handler_test.cc UnsupportedApiCalls
    body = '{"instances": [1.0]}' if method in ("POST", "PUT", "PATCH") else None
    r = http.request(method, rest_url + path, data=body, timeout=30)
    assert_json_error(r, 400, f"Malformed request: {method} {path}")


def test_query_string_on_inference_url(http, rest_url):
    # source: tensorflow_serving/util/net_http/server/internal/evhttp_request.cc (the handler sees
    # path + "?" + query), so the :predict regex no longer matches
    path = "/v1/models/half_plus_two:predict?debug=1"
    r = http.post(rest_url + path, data='{"instances": [1.0]}', timeout=30)
    assert_json_error(r, 400, f"Malformed request: POST {path}")


def test_query_string_on_status_url(http, rest_url):
    # source: tensorflow_serving/model_servers/http_rest_api_util.cc ({name} = [^/:]+ captures
    # "half_plus_two?x=1"), get_model_status_impl.cc
    r = http.get(rest_url + "/v1/models/half_plus_two?x=1", timeout=30)
    assert_json_error(r, 404, "Could not find any versions of model half_plus_two?x=1")


def test_missing_model_name(http, rest_url):
    # source: tensorflow_serving/model_servers/http_rest_api_handler.cc ProcessModelStatusRequest,
    # http_rest_api_handler_test.cc UnsupportedApiCalls ("Missing model name")
    r = http.get(rest_url + "/v1/models", timeout=30)
    assert_json_error(r, 400, "Missing model name in request.")


def test_percent_encoded_model_name(rest_url):
    # source: tensorflow_serving/model_servers/http_rest_api_util.cc ParseModelInfo (name is
    # percent-decoded). Sent raw: HTTP clients would normalise %5F to "_" themselves.
    data = raw_http(rest_url, b"GET /v1/models/half%5Fplus%5Ftwo HTTP/1.1\r\nHost: x\r\n"
                              b"Connection: close\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), data
    assert json.loads(body)["model_version_status"][0]["version"] == "123"


def test_version_out_of_int64_range(http, rest_url):
    # source: tensorflow_serving/model_servers/http_rest_api_util.cc ParseModelInfo ("Failed to
    # convert version" returned before the JSON error body is made: empty body);
    # http_rest_api_handler_test.cc UnsupportedApiCalls
    r = http.get(rest_url + "/v1/models/half_plus_two/versions/99999999999999999999", timeout=30)
    assert r.status_code == 400
    assert r.text == ""


@pytest.mark.parametrize("path", ["/", "/v2/models/half_plus_two", "/models/half_plus_two", "/healthz"])
def test_non_v1_path_is_libevent_404(http, rest_url, path):
    # source: tensorflow_serving/model_servers/http_server.cc (only "(?i)/v1/.*" is dispatched);
    # libevent http.c evhttp_send_error / evhttp_send_page_ (HTML body)
    r = http.get(rest_url + path, timeout=30)
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.text == LIBEVENT_404
    r = http.post(rest_url + path, data="{}", timeout=30)
    assert r.status_code == 404
    assert r.text == LIBEVENT_404


def test_error_body_layout(http, rest_url):
    # source: tensorflow_serving/util/json_tensor.cc MakeJsonFromStatus (rapidjson PrettyWriter,
    # 4-space indent, no trailing newline); model_servers/http_rest_api_util.cc AddHeaders
    r = http.post(rest_url + "/v1/models/nosuch:predict", data='{"instances": [1]}', timeout=30)
    assert r.status_code == 404
    assert r.text == '{\n    "error": "Servable not found for request: Latest(nosuch)"\n}'


def test_error_message_json_escaped(http, rest_url):
    # source: tensorflow_serving/util/json_tensor.cc MakeJsonFromStatus (message JSON-escaped)
    r = http.post(rest_url + '/v1/models/half_plus_two:predict', data='{"instances": ["a\\"b"]}', timeout=30)
    msg = assert_json_error(r, 400)
    assert 'JSON Value: "a\\"b" Type: String' in msg


def test_gzip_request_body(http, rest_url):
    # source: tensorflow_serving/util/net_http/server/internal/evhttp_request.cc (Content-Encoding
    # containing "gzip" -> body gunzipped); issue #1091 / PR #1337
    body = gzip.compress(json.dumps({"instances": [2.0, 3.0]}).encode())
    r = http.post(rest_url + "/v1/models/half_plus_two:predict", data=body,
                  headers={"Content-Encoding": "gzip"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": [3.0, 3.5]}
    assert "Content-Encoding" not in r.headers  # responses are never compressed


def test_bad_gzip_body_is_empty_document(http, rest_url):
    # source: tensorflow_serving/util/net_http/server/internal/evhttp_request.cc (failed gunzip ->
    # empty body) and util/json_tensor.cc ParseJson ("The document is empty")
    r = http.post(rest_url + "/v1/models/half_plus_two:predict", data=b"not gzip at all",
                  headers={"Content-Encoding": "gzip"}, timeout=30)
    assert_json_error(r, 400, "JSON Parse error: The document is empty")


def test_content_type_not_checked(http, rest_url):
    # source: tensorflow_serving/model_servers/http_rest_api_handler.cc (no Content-Type check)
    r = http.post(rest_url + "/v1/models/half_plus_two:predict", data='{"instances": [2.0]}',
                  headers={"Content-Type": "text/plain"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": [3.0]}


def test_trailing_bytes_after_json_ignored(http, rest_url):
    # source: tensorflow_serving/util/json_tensor.cc ParseJson (kParseStopWhenDoneFlag)
    r = http.post(rest_url + "/v1/models/half_plus_two:predict",
                  data='{"instances": [2.0]} trailing garbage', timeout=30)
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": [3.0]}


def test_duplicate_keys_first_wins(http, rest_url):
    # source: tensorflow_serving/util/json_tensor.cc FillPredictRequestFromJson (rapidjson
    # FindMember returns the first member)
    r = http.post(rest_url + "/v1/models/half_plus_two:predict",
                  data='{"instances": [2.0], "instances": [4.0]}', timeout=30)
    assert r.json() == {"predictions": [3.0]}


def test_options_preflight(http, rest_url):
    # source: tensorflow_serving/model_servers/http_server.cc ProcessRequest (OPTIONS: 200 if
    # Origin matches "https?://", else FAILED_PRECONDITION -> 400, empty body both ways)
    r = http.options(rest_url + "/v1/models/half_plus_two:predict",
                     headers={"Origin": "http://example.com"}, timeout=30)
    assert r.status_code == 200
    assert r.text == ""
    r = http.options(rest_url + "/v1/models/half_plus_two:predict", timeout=30)
    assert r.status_code == 400
    assert r.text == ""


def test_keep_alive_serves_several_requests(rest_url):
    # source: libevent http.c (HTTP/1.1 keep-alive unless "Connection: close")
    body = b'{"instances": [2.0]}'
    head = b"POST /v1/models/half_plus_two:predict HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n" % len(body)
    req = head + b"\r\n" + body
    last = head + b"Connection: close\r\n\r\n" + body
    data = raw_http(rest_url, req + req + last)
    assert data.count(b"HTTP/1.1 200 OK") == 3, data
