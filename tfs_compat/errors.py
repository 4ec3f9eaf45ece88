"""The one error type of the server: a canonical status code plus a message.

TF Serving passes absl::Status values everywhere (a code of absl::StatusCode and a message);
so does this server's core. Each front maps it for its protocol: grpc_server.py sends the code
as the gRPC status (message cut at 1024 chars, model_servers/grpc_status_util.cc), rest_server.py
maps it to an HTTP status (model_servers/http_server.cc ToHTTPStatusCode).
"""
import enum


class Code(enum.IntEnum):
    """absl::StatusCode; the numbers are tensorflow.error.Code's and gRPC's too
    (tensorflow/core/protobuf/error_codes.proto)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


C = Code
CODE_NUMBER = {c: int(c) for c in Code}
CODE_BY_NUMBER = {int(c): c for c in Code}


class ServingError(Exception):
    """A failed status (a Code and a message), raised by the core and rendered by the fronts."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message

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
