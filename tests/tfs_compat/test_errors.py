"""The core's status codes and the fronts' mappings of them.

source: tensorflow/core/protobuf/error_codes.proto (the numbers, shared with gRPC),
tensorflow_serving/model_servers/grpc_status_util.cc (ToGRPCStatus: messages over 1024
characters are cut and marked "...TRUNCATED") and model_servers/http_server.cc (ToHTTPStatusCode)."""

import grpc

from tfs_compat.errors import Code, ServingError
from tfs_compat.grpc_server import to_grpc_status
from tfs_compat.rest_server import http_status


def test_every_code_is_the_grpc_code_of_the_same_number():
    for code in Code:
        grpc_code, _ = to_grpc_status(ServingError(code, "m"))
        assert grpc_code.value[0] == int(code), code
    assert {int(c) for c in Code} == {c.value[0] for c in grpc.StatusCode}


def test_long_messages_are_cut_for_grpc_only():
    long = "x" * 1025
    assert to_grpc_status(ServingError(Code.INTERNAL, long))[1] == "x" * 1024 + "...TRUNCATED"
    assert to_grpc_status(ServingError(Code.INTERNAL, long[:1024]))[1] == "x" * 1024


def test_http_statuses_of_http_server_cc():
    expected = {Code.INVALID_ARGUMENT: 400, Code.FAILED_PRECONDITION: 400, Code.NOT_FOUND: 404,
                Code.UNIMPLEMENTED: 501, Code.UNAVAILABLE: 503, Code.DEADLINE_EXCEEDED: 504,
                Code.RESOURCE_EXHAUSTED: 429, Code.CANCELLED: 499, Code.INTERNAL: 500}
    assert {code: http_status(ServingError(code, "m")) for code in expected} == expected
