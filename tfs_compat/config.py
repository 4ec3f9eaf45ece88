"""Startup configuration (model_servers/server.cc BuildAndStart, util/proto_util.h).

Builds the ModelServerConfig from --model_name/--model_base_path or parses
--model_config_file (text proto); parses BatchingParameters / MonitoringConfig
files; validation errors carry TF Serving's wording.
"""
import logging
import sys

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from .errors import invalid_argument, ServingError, C
from .protos import BatchingParameters, MonitoringConfig

log = logging.getLogger("tensorflow_serving")


def read_text_proto(path, message):
    """util/proto_util.h ParseProtoTextFile."""
    try:
        with open(path, "r", encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    except OSError as e:
        raise ServingError(C.NOT_FOUND, "%s; No such file or directory" % path
                           if isinstance(e, FileNotFoundError) else "%s: %s" % (path, e))
    try:
        text_format.Parse(text, message)
    except text_format.ParseError as e:
        # protobuf's TextFormat parser logs the reason before TF Serving reports the file.
        sys.stderr.write("[libprotobuf ERROR google/protobuf/text_format.cc:337] Error parsing text-format "
                         "%s: %s\n" % (message.DESCRIPTOR.full_name, e))
        raise invalid_argument("Invalid protobuf file: '%s'" % path)
    return message


def validate(opts):
    """server.cc: checks done before anything is loaded."""
    if opts.port == 0 and not opts.grpc_socket_path:
        raise invalid_argument("At least one of server_options.grpc_port or server_options.grpc_socket_path "
                               "must be set.")
    if not opts.model_base_path and not opts.model_config_file:
        raise invalid_argument("Both server_options.model_base_path and server_options.model_config_file are empty!")
    if opts.batching_parameters_file and not opts.enable_batching:
        raise invalid_argument("server_options.batching_parameters_file is set without setting "
                               "server_options.enable_batching to true.")
    if (opts.tensorflow_session_parallelism > 0 and opts.tensorflow_intra_op_parallelism > 0
            and opts.tensorflow_inter_op_parallelism > 0):
        raise invalid_argument("Either configure server_options.tensorflow_session_parallelism or "
                               "(server_options.tensorflow_intra_op_parallelism, "
                               "server_options.tensorflow_inter_op_parallelism) separately. You cannot configure "
                               "all.")


def model_server_config(opts):
    if opts.model_config_file:
        return read_text_proto(opts.model_config_file, model_server_config_pb2.ModelServerConfig())
    cfg = model_server_config_pb2.ModelServerConfig()
    mc = cfg.model_config_list.config.add()
    mc.name = opts.model_name
    mc.base_path = opts.model_base_path
    mc.model_platform = "tensorflow"
    log.info("Building single TensorFlow model file config:  model_name: %s model_base_path: %s",
             opts.model_name, opts.model_base_path)
    return cfg


def batching_parameters(opts):
    if not opts.enable_batching:
        return None
    p = BatchingParameters()
    if opts.batching_parameters_file:
        read_text_proto(opts.batching_parameters_file, p)
    else:
        p.thread_pool_name.value = "model_server_batch_threads"
    return p


def monitoring_config(opts):
    m = MonitoringConfig()
    if opts.monitoring_config_file:
        read_text_proto(opts.monitoring_config_file, m)
    return m


def grpc_channel_arguments(text):
    """server.cc: 'k=v,k=v'; int32 values become ints."""
    out = []
    if not text:
        return out
    for item in text.split(","):
        k, _, v = item.partition("=")
        try:
            iv = int(v)
            out.append((k, iv) if -2**31 <= iv < 2**31 else (k, v))
        except ValueError:
            out.append((k, v))
    return out
