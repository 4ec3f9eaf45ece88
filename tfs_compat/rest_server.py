"""HTTP/REST frontend (aiohttp) converting JSON to the same protos as gRPC.

model_servers/http_server.cc (dispatch regex `(?i)/v1/.*`, Prometheus path,
OPTIONS/CORS, status → HTTP code, request metrics), http_rest_api_handler.cc
(ProcessRequest: URL parsing, "Malformed request", per-API handlers),
http_rest_api_util.cc (regexes, curl unescape, JSON of status/metadata),
util/net_http/server/internal/evhttp_request.cc (path incl. query, gzip
request bodies, 100 MiB cap), libevent http.c (404 page, reason phrases).
Inference runs in a thread pool of --rest_api_num_threads.

Every error leaves as TF Serving's JSON error body (`{"error": ...}`), also the HTTP-level ones
aiohttp would answer with a text page (malformed request line, missing Host header), except the
libevent 404 page that TF Serving itself sends for paths outside /v1/. Each error is logged once,
in one line, with the request that caused it.
"""
import asyncio
import json
import logging
import os
import re
import time
import urllib.parse
import zlib
from concurrent import futures

from aiohttp import web, web_protocol, web_server
from google.protobuf import json_format
from tensorflow_serving.apis import (classification_pb2, get_model_metadata_pb2, get_model_status_pb2,
                                     predict_pb2, regression_pb2)

from . import json_tensor as jt
from . import metrics
from .errors import ServingError, C, invalid_argument, failed_precondition, not_found

# model_servers/http_server.cc ToHTTPStatusCode.
_HTTP_STATUS = {
    C.OK: 200, C.CANCELLED: 499, C.UNKNOWN: 500, C.INVALID_ARGUMENT: 400,
    C.DEADLINE_EXCEEDED: 504, C.NOT_FOUND: 404, C.ALREADY_EXISTS: 409,
    C.PERMISSION_DENIED: 403, C.RESOURCE_EXHAUSTED: 429,
    C.FAILED_PRECONDITION: 400, C.ABORTED: 409, C.OUT_OF_RANGE: 400,
    C.UNIMPLEMENTED: 501, C.INTERNAL: 500, C.UNAVAILABLE: 503,
    C.DATA_LOSS: 500, C.UNAUTHENTICATED: 401,
}


def http_status(error):
    """The HTTP status REST answers a ServingError with."""
    return _HTTP_STATUS.get(error.code, 500)

log = logging.getLogger("tensorflow_serving")

PREDICTION_RE = re.compile(
    r"/v1/models/([^/:]+)(?:(?:/versions/([0-9]+))|(?:/labels/([^/:]+)))?:(classify|regress|predict)", re.I)
STATUS_RE = re.compile(
    r"/v1/models(?:/([^/:]+))?(?:(?:/versions/([0-9]+))|(?:/labels/([^/:]+)))?(?:/(metadata))?", re.I)
DISPATCH_RE = re.compile(r"/v1/.*", re.I | re.S)
NOT_FOUND_PAGE = b"<HTML><HEAD>\n<TITLE>404 Not Found</TITLE>\n</HEAD><BODY>\n<H1>Not Found</H1>\n</BODY></HTML>\n"
MAX_GUNZIP = 100 * 1024 * 1024  # util/net_http/compression/gzip_zlib.h kMaxUncompressedBytes
# libevent evhttp_response_phrase_internal: codes outside its table get the class name.
_REASONS = {429: "Client Error", 499: "Client Error"}
JSON_HEADERS = (("Content-Type", "application/json"),)
# TF Serving's evhttp_server.cc never calls evhttp_set_timeout, and libevent 2.1.12 (its pinned
# release) leaves a server connection without read timeout unless one is set (http.c
# evhttp_get_request): an idle or half-sent request holds its connection forever. This server closes
# a connection that sends nothing for libevent's own default, HTTP_READ_TIMEOUT = 50 s
# (http-internal.h; what evhttp_connection_set_timeout applies for "default"). The environment
# variable lets the test suite shorten it.
READ_TIMEOUT_S = float(os.environ.get("TFS_COMPAT_HTTP_READ_TIMEOUT_S", "50"))
BODY_CHUNK = 1 << 20
CORS_HEADERS = (("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "POST, GET"),
                ("Access-Control-Allow-Headers", "Content-Type"))


class _EarlyError(Exception):
    """ParseModelInfo failures: returned before MakeJsonFromStatus → empty body."""

    def __init__(self, err):
        super().__init__(err.message)
        self.err = err


def _unescape(s):
    # curl_easy_unescape: %XX decoded, '+' kept, invalid escapes kept literally.
    return urllib.parse.unquote_to_bytes(s).decode("utf-8", "surrogateescape")


def _utf8(s):
    """True if `s` can go into a proto string field (no byte of the URL was invalid UTF-8)."""
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _one_line(text, limit=300):
    text = str(text).replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."


def _ordered(d, desc, preserve):
    """Reorder MessageToDict output like the C++ JSON printer: regular fields in
    declaration order, then oneof members (matches the testdata metadata JSON)."""
    if not isinstance(d, dict):
        return d
    fields = [f for f in desc.fields if f.containing_oneof is None or f.containing_oneof.name.startswith("_")]
    fields += [f for f in desc.fields if f not in fields]
    out = {}
    for f in fields:
        key = f.name if preserve else f.json_name
        if key not in d:
            continue
        v = d[key]
        if f.message_type is not None:
            if f.message_type.GetOptions().map_entry:
                vf = f.message_type.fields_by_name["value"]
                if vf.message_type is not None:
                    v = {k: _ordered(x, vf.message_type, preserve) for k, x in v.items()}
            elif isinstance(v, list):
                v = [_ordered(x, f.message_type, preserve) for x in v]
            elif f.message_type.full_name.startswith("google.protobuf."):
                pass  # well-known types print as scalars
            else:
                v = _ordered(v, f.message_type, preserve)
        out[key] = v
    return out


def _status_json(msg, preserve=False):
    d = json_format.MessageToDict(msg, always_print_fields_with_no_presence=True,
                                  preserving_proto_field_name=preserve)
    d = _ordered(d, msg.DESCRIPTOR, preserve)
    # protobuf's JSON writer ends a root object with a newline when indenting
    return json.dumps(d, indent=1, ensure_ascii=False) + "\n"


class RestHandler:
    def __init__(self, core, opts):
        self.core = core
        self.timeout_ms = opts.rest_api_timeout_in_ms if opts.rest_api_timeout_in_ms > 0 else 0

    def process(self, method, path, body):
        """HttpRestApiHandler::ProcessRequest → (status ServingError|None, output str, model_name, api)."""
        model_name, api = "", ""
        try:
            model_name, version, label, api, sub, ok = self._parse(method, path)
        except _EarlyError as e:
            return e.err, "", model_name, api
        err = invalid_argument("Malformed request: %s %s" % (method, path))
        out = ""
        try:
            if method == "POST" and ok:
                if api == "classify":
                    out = self._classify(model_name, version, label, body)
                    err = None
                elif api == "regress":
                    out = self._regress(model_name, version, label, body)
                    err = None
                elif api == "predict":
                    out = self._predict(model_name, version, label, body)
                    err = None
            elif method == "GET" and ok:
                if sub == "metadata":
                    out = self._metadata(model_name, version, label)
                else:
                    out = self._status(model_name, version, label)
                err = None
        except ServingError as e:
            err, out = e, ""
        except Exception as e:  # noqa: BLE001  never leak a traceback to the client
            log.error("REST %s %s: internal error %s: %s", method, _one_line(path), type(e).__name__, _one_line(e))
            err, out = ServingError(C.INTERNAL, "%s: %s" % (type(e).__name__, e)), ""
        if err is not None:
            out += jt.make_json_from_error(err.message)
        return err, out, model_name, api

    def _parse(self, method, path):
        """http_rest_api_util.cc ParseModelInfo."""
        m = None
        if method == "POST":
            m = PREDICTION_RE.fullmatch(path)
        elif method == "GET":
            m = STATUS_RE.fullmatch(path)
        if m is None:
            return "", None, None, "", "", False
        name, vstr, lstr, last = m.group(1) or "", m.group(2) or "", m.group(3) or "", m.group(4) or ""
        if name:
            name = _unescape(name)
        version = None
        if vstr:
            v = int(vstr)
            if v >= 2**63:
                raise _EarlyError(invalid_argument("Failed to convert version: %s to numeric." % vstr))
            version = v
        label = _unescape(lstr) if lstr else None
        api, sub = (last, "") if method == "POST" else ("", last)
        return name, version, label, api, sub, True

    @staticmethod
    def _spec(spec, name, version, label, status_api=False):
        """FillModelSpecWithNameVersionAndLabel. TF Serving keeps names as bytes; a protobuf string here
        must be UTF-8, so a name or label that is not can only be unknown: answer what ServerCore
        answers for an unknown one (manager.py resolve_version / get_handle / status)."""
        if version is not None and label is not None:
            raise invalid_argument("Both model version (%d) and model version label (%s) cannot be supplied."
                                   % (version, label))
        if label is not None and not _utf8(label):
            if not status_api:  # GetModelStatus ignores labels
                raise invalid_argument("Unrecognized servable version label: %s" % label)
            label = None
        if not _utf8(name):
            if status_api:
                if version is not None:
                    raise not_found("Could not find version %d of model %s" % (version, name))
                raise not_found("Could not find any versions of model %s" % name)
            if version is not None:
                raise not_found("Servable not found for request: Specific(%s, %d)" % (name, version))
            raise not_found("Servable not found for request: Latest(%s)" % name)
        spec.name = name
        if version is not None:
            spec.version.value = version
        if label is not None:
            spec.version_label = label

    def _predict(self, name, version, label, body):
        req = predict_pb2.PredictRequest()
        self._spec(req.model_spec, name, version, label)
        arrays = {}
        fmt = jt.fill_predict_request(body, req, lambda sig: self.core.signature_inputs(req.model_spec, sig), arrays)
        _, outs = self.core.predict_arrays(req, self.timeout_ms, arrays)
        return jt.make_json_from_tensors({a: (dt, arr) for a, dt, arr in outs}, fmt)

    def _classify(self, name, version, label, body):
        req = classification_pb2.ClassificationRequest()
        self._spec(req.model_spec, name, version, label)
        bad_signature = jt.fill_classify_regress_request(body, req)
        if bad_signature is not None:
            self._no_signature(req.model_spec, bad_signature)
        resp = self.core.classify(req, self.timeout_ms)
        return jt.make_json_from_classification(resp.result)

    def _regress(self, name, version, label, body):
        req = regression_pb2.RegressionRequest()
        self._spec(req.model_spec, name, version, label)
        bad_signature = jt.fill_classify_regress_request(body, req)
        if bad_signature is not None:
            self._no_signature(req.model_spec, bad_signature)
        resp = self.core.regress(req, self.timeout_ms)
        return jt.make_json_from_regression(resp.result)

    def _no_signature(self, model_spec, signature_name):
        """A signature name that is not UTF-8 names no signature: the servable lookup still comes first."""
        with self.core.manager.get_handle(model_spec):
            raise invalid_argument("No signature was found with the name: %s" % signature_name)

    def _status(self, name, version, label):
        if not name:
            raise invalid_argument("Missing model name in request.")
        req = get_model_status_pb2.GetModelStatusRequest()
        self._spec(req.model_spec, name, version, label, status_api=True)
        return _status_json(self.core.get_model_status(req))

    def _metadata(self, name, version, label):
        if not name:
            raise invalid_argument("Missing model name in request.")
        req = get_model_metadata_pb2.GetModelMetadataRequest()
        req.metadata_field.append("signature_def")
        self._spec(req.model_spec, name, version, label)
        resp = self.core.get_model_metadata(req)
        sdm = get_model_metadata_pb2.SignatureDefMap()
        resp.metadata["signature_def"].Unpack(sdm)
        # http_rest_api_util.cc ToJsonString(GetModelMetadataResponse): hand-concatenated.
        return ("{\n" + '"model_spec":' + _status_json(resp.model_spec, True) + ",\n" + '"metadata": {'
                + '"signature_def": ' + _status_json(sdm, True) + "}\n" + "}\n")


def _gunzip(body):
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(body, MAX_GUNZIP)
        if d.unconsumed_tail or not d.eof:
            return b""
        return out
    except zlib.error:
        return b""


class _Connection(web_protocol.RequestHandler):
    """aiohttp's per-connection protocol, with errors in TF Serving's JSON shape, logged in one line."""

    def handle_error(self, request, status=500, exc=None, message=None):
        # Called for requests aiohttp cannot parse (400) and for exceptions escaping `entry` (500).
        text = message if status != 500 else "Internal error"
        detail = message or (("%s: %s" % (type(exc).__name__, exc)) if exc is not None else "")
        log.error("REST %s %s from %s: HTTP %d %s", getattr(request, "method", "?"),
                  _one_line(getattr(request, "raw_path", "?")), request.remote, status, _one_line(detail))
        if request.writer.output_size > 0:
            raise ConnectionError("Response is sent already, cannot send another response with the error message")
        resp = web.Response(status=status, body=jt.to_bytes(jt.make_json_from_error(str(text))),
                            headers=JSON_HEADERS)
        resp.force_close()
        return resp


class _Server(web_server.Server):
    def __call__(self):
        return _Connection(self, loop=self._loop, **self._kwargs)


async def _read_body(request):
    """The whole body, each chunk awaited at most READ_TIMEOUT_S (a stalled upload is dropped)."""
    chunks = []
    while True:
        chunk = await asyncio.wait_for(request.content.readany(), READ_TIMEOUT_S)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def make_handler(core, opts, monitoring):
    """The request handler coroutine and the thread pool it runs inference in."""
    handler = RestHandler(core, opts)
    pool = futures.ThreadPoolExecutor(max_workers=max(opts.rest_api_num_threads, 1), thread_name_prefix="httprest")
    prom = monitoring.prometheus_config
    prom_path = (prom.path or "/monitoring/prometheus/metrics") if prom.enable else None
    cors = opts.rest_api_enable_cors_support

    def respond(status, body, headers):
        return web.Response(status=status, body=body, headers=headers, reason=_REASONS.get(status))

    async def entry(request):
        raw = request.raw_path  # path + ?query, not percent-decoded (evhttp_request.cc uri_path)
        path_only = raw.split("?", 1)[0]
        if prom_path is not None and path_only == prom_path:
            if raw != prom_path:
                return respond(400, jt.to_bytes("Unexpected path: %s. Should be %s" % (raw, prom_path)),
                               {"Content-Type": "text/plain"})
            return respond(200, metrics.render_bytes(), {"Content-Type": "text/plain"})
        if not DISPATCH_RE.fullmatch(raw):
            return respond(404, NOT_FOUND_PAGE, {"Content-Type": "text/html", "Connection": "close"})
        start = time.perf_counter()
        try:
            body = await _read_body(request)
        except asyncio.TimeoutError:
            log.error("REST %s %s from %s: no body data for %g s, connection closed", request.method,
                      _one_line(raw), request.remote, READ_TIMEOUT_S)
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=408)  # never sent: the connection is already closed
        if "gzip" in request.headers.get("Content-Encoding", ""):
            body = _gunzip(body)
        method = request.method
        if method == "OPTIONS":
            origin = request.headers.get("Origin", "")
            err = None if re.search("https?://", origin) else failed_precondition(
                "Origin header is missing in CORS preflight")
            headers = dict(CORS_HEADERS) if cors else {}
            headers["Content-Type"] = "text/html; charset=ISO-8859-1"
            metrics.record_request("", err.code.name if err else "OK")
            return respond(http_status(err) if err else 200, b"", headers)
        loop = asyncio.get_running_loop()
        err, out, model_name, api = await loop.run_in_executor(pool, handler.process, method, raw, body)
        headers = dict(JSON_HEADERS)
        if cors:
            headers.update(CORS_HEADERS)
        status = http_status(err) if err else 200
        if err is None:
            metrics.record_latency(model_name, api, "REST", (time.perf_counter() - start) * 1e6)
        metrics.record_request(model_name, err.code.name if err else "OK")
        return respond(status, jt.to_bytes(out), headers)

    return entry, pool


async def start(core, opts, monitoring):
    entry, _pool = make_handler(core, opts, monitoring)  # the pool's threads are daemons of this process
    # keepalive_timeout closes a connection idle before or between requests, or stuck in its headers.
    # read_bufsize: a large body arrives in few 1 MiB chunks instead of pausing the socket every 64 KiB.
    server = _Server(entry, keepalive_timeout=READ_TIMEOUT_S, auto_decompress=False, access_log=None,
                     read_bufsize=BODY_CHUNK)
    runner = web.ServerRunner(server, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "0.0.0.0", opts.rest_api_port, reuse_address=True)
    await site.start()
    return runner
