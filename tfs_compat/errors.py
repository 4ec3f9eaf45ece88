"""The one error type of the server: a canonical status code plus a message.

TF Serving passes absl::Status values everywhere; gRPC sends the code as-is
(message cut at 1024 chars, model_servers/grpc_status_util.cc) and REST maps
it to HTTP with ToHTTPStatusCode (model_servers/http_server.cc).
"""
import grpc

C = grpc.StatusCode

# model_servers/http_server.cc ToHTTPStatusCode.
_HTTP = {
    C.OK: 200, C.CANCELLED: 499, C.UNKNOWN: 500, C.INVALID_ARGUMENT: 400,
    C.DEADLINE_EXCEEDED: 504, C.NOT_FOUND: 404, C.ALREADY_EXISTS: 409,
    C.PERMISSION_DENIED: 403, C.RESOURCE_EXHAUSTED: 429,
    C.FAILED_PRECONDITION: 400, C.ABORTED: 409, C.OUT_OF_RANGE: 400,
    C.UNIMPLEMENTED: 501, C.INTERNAL: 500, C.UNAVAILABLE: 503,
    C.DATA_LOSS: 500, C.UNAUTHENTICATED: 401,
}

# tensorflow.error.Code numbers equal the gRPC numbers (tensorflow/core/protobuf/error_codes.proto).
CODE_NUMBER = {c: c.value[0] for c in C}
CODE_BY_NUMBER = {c.value[0]: c for c in C}

_GRPC_MAX_MESSAGE = 1024  # model_servers/grpc_status_util.cc


class ServingError(Exception):
    """A failed status (code + message), raised by core and rendered by the frontends."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self):
        return _HTTP.get(self.code, 500)

    def grpc_message(self):
        m = self.message
        if len(m) > _GRPC_MAX_MESSAGE:
            m = m[:_GRPC_MAX_MESSAGE] + "...TRUNCATED"
        return m

    def to_string(self):
        """absl::Status::ToString(): 'INVALID_ARGUMENT: msg' (used when errors are nested)."""
        return "%s: %s" % (self.code.name, self.message)

    def __repr__(self):
        return "ServingError(%s, %r)" % (self.code.name, self.message)


def invalid_argument(msg):
    return ServingError(C.INVALID_ARGUMENT, msg)


def not_found(msg):
    return ServingError(C.NOT_FOUND, msg)


def failed_precondition(msg):
    return ServingError(C.FAILED_PRECONDITION, msg)


def unimplemented(msg):
    return ServingError(C.UNIMPLEMENTED, msg)


def internal(msg):
    return ServingError(C.INTERNAL, msg)


def unknown(msg):
    return ServingError(C.UNKNOWN, msg)


def from_tf_exception(e):
    """Map a tf.errors.OpError (session.run failure) to ServingError, keeping TF's code and text."""
    import tensorflow as tf  # local: keep this module importable without TF
    if isinstance(e, ServingError):
        return e
    if isinstance(e, tf.errors.OpError):
        code = CODE_BY_NUMBER.get(int(e.error_code), C.UNKNOWN)
        return ServingError(code, e.message)
    return ServingError(C.INTERNAL, "%s: %s" % (type(e).__name__, e))
