"""gRPC frontend: PredictionService + ModelService over core.Core.

model_servers/prediction_service_impl.cc (deadline → RunOptions timeout),
model_service_impl.cc, server.cc (INT32_MAX message sizes, channel args,
0.0.0.0 listener), grpc_status_util.cc (messages cut at 1024 chars).

A request that does not parse as its message gets INVALID_ARGUMENT here; grpc++
(GenericDeserialize) and grpcio both answer INTERNAL for it, a code that tells
the client the server failed (README, deviations).
"""
import logging
import time
from concurrent import futures

import grpc
from google.protobuf.message import DecodeError
from tensorflow_serving.apis import model_service_pb2_grpc, prediction_service_pb2_grpc

from . import metrics
from .errors import C, ServingError

log = logging.getLogger("tensorflow_serving")
INT32_MAX = 2**31 - 1


def _timeout_ms(context):
    rem = context.time_remaining()
    if rem is None or rem > 1e7:  # grpcio reports "no deadline" as a huge value
        return 0
    return max(int(rem * 1000), 1)


_GRPC_MAX_MESSAGE = 1024  # model_servers/grpc_status_util.cc


def to_grpc_status(error):
    """(grpc.StatusCode, details) of a ServingError: the same code, the message cut as
    grpc_status_util.cc ToGRPCStatus cuts it."""
    message = error.message
    if len(message) > _GRPC_MAX_MESSAGE:
        message = message[:_GRPC_MAX_MESSAGE] + "...TRUNCATED"
    return grpc.StatusCode[error.code.name], message


def _call(context, fn, model_name, api=None):
    start = time.perf_counter()
    try:
        resp = fn()
    except ServingError as e:
        metrics.record_request(model_name, e.code.name)
        context.abort(*to_grpc_status(e))
    except Exception as e:  # noqa: BLE001  never leak a traceback to the client
        log.error("gRPC %s model %r: internal error %s: %s", api or "call", model_name, type(e).__name__,
                  str(e).replace("\n", " ")[:300])
        metrics.record_request(model_name, "INTERNAL")
        context.abort(grpc.StatusCode.INTERNAL, "%s: %s" % (type(e).__name__, e))
    metrics.record_request(model_name, "OK")
    if api:
        metrics.record_latency(model_name, api, "GRPC", (time.perf_counter() - start) * 1e6)
    return resp


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, core):
        self.core = core

    def Predict(self, request, context):
        return _call(context, lambda: self.core.predict(request, _timeout_ms(context)),
                     request.model_spec.name, "Predict")

    def Classify(self, request, context):
        return _call(context, lambda: self.core.classify(request, _timeout_ms(context)),
                     request.model_spec.name, "Classify")

    def Regress(self, request, context):
        return _call(context, lambda: self.core.regress(request, _timeout_ms(context)),
                     request.model_spec.name, "Regress")

    def MultiInference(self, request, context):
        name = request.tasks[0].model_spec.name if request.tasks else ""
        return _call(context, lambda: self.core.multi_inference(request, _timeout_ms(context)),
                     name, "MultiInference")

    def GetModelMetadata(self, request, context):
        return _call(context, lambda: self.core.get_model_metadata(request), request.model_spec.name)


class ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, core):
        self.core = core

    def GetModelStatus(self, request, context):
        return _call(context, lambda: self.core.get_model_status(request), request.model_spec.name)

    def HandleReloadConfigRequest(self, request, context):
        return _call(context, lambda: self.core.reload_config(request), "")


class _ParseRequests(grpc.ServerInterceptor):
    """Parses each request in the handler, so that bytes that are no valid message answer INVALID_ARGUMENT."""

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None or handler.request_deserializer is None:
            return handler
        parse, behavior = handler.request_deserializer, handler.unary_unary

        def parse_then_call(raw, context):
            try:
                request = parse(raw)
            except DecodeError as e:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Failed to parse request: %s" % e)
            return behavior(request, context)

        return grpc.unary_unary_rpc_method_handler(parse_then_call, request_deserializer=None,
                                                   response_serializer=handler.response_serializer)


def start(core, opts, channel_args):
    options = [("grpc.max_send_message_length", INT32_MAX),
               ("grpc.max_receive_message_length", INT32_MAX),
               ("grpc.so_reuseport", 0)] + list(channel_args)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max(opts.grpc_max_threads, 4),
                                                    thread_name_prefix="grpc"),
                         options=options, interceptors=[_ParseRequests()])
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(PredictionServicer(core), server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(core), server)
    if opts.port:
        bound = server.add_insecure_port("0.0.0.0:%d" % opts.port)
        if not bound:
            raise ServingError(C.UNKNOWN, "Failed to BuildAndStart gRPC server")
    if opts.grpc_socket_path:
        server.add_insecure_port("unix:%s" % opts.grpc_socket_path)
    server.start()
    return server
