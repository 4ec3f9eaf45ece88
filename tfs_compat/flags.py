"""Command-line flags with TensorFlow's flag-library semantics.

Sources: flag list/help in model_servers/main.cc, defaults in
model_servers/server.h (Server::Options), parsing rules in TF
tensorflow/core/util/command_line_flags.cc:
  * only `--name=value`; bools also accept bare `--name` (and =true/false/1/0);
  * a bad value is logged, parsing continues, then usage is printed and the
    process exits with -1 (255);
  * unknown args are collected; main.cc prints `unknown argument: <first>` +
    usage and keeps starting; `--help` as first unknown arg → usage, exit 255;
  * repeated flags: last one wins (plain left-to-right assignment).
Every flag of tensorflow_model_server is accepted. Flags this Python server
has no equivalent for (TPU, TFLite, XLA, SSL, ALTS, profiler, GPU memory,
thread-pool factory, filesystem cache flushing, ...) are parsed and ignored.
"""
import os
import sys

_CPUS = os.cpu_count() or 1

# (name, type, default, help). Order = main.cc flag_list order (usage order).
FLAGS = [
    ("port", "int32", 8500, "TCP port to listen on for gRPC/HTTP API. Disabled if port set to zero."),
    ("grpc_socket_path", "string", "", "If non-empty, listen to a UNIX socket for gRPC API on the given path. Can be either relative or absolute path."),
    ("rest_api_port", "int32", 0, "Port to listen on for HTTP/REST API. If set to zero HTTP/REST API will not be exported. This port must be different than the one specified in --port."),
    ("rest_api_num_threads", "int32", 4 * _CPUS, "Number of threads for HTTP/REST API processing. If not set, will be auto set based on number of CPUs."),
    ("rest_api_timeout_in_ms", "int32", 30000, "Timeout for HTTP/REST API calls."),
    ("rest_api_enable_cors_support", "bool", False, "Enable CORS headers in response"),
    ("enable_batching", "bool", False, "enable batching"),
    ("allow_version_labels_for_unavailable_models", "bool", False, "If true, allows assigning unused version labels to models that are not available yet."),
    ("batching_parameters_file", "string", "", "If non-empty, read an ascii BatchingParameters protobuf from the supplied file name and use the contained values instead of the defaults."),
    ("enable_per_model_batching_parameters", "bool", False, "Enables model specific batching params like batch sizes, timeouts, batching feature flags to be read from `batching_params.pbtxt` file present in SavedModel dir of the model. Associated params in the global config from --batching_parameters_file are *ignored*. Only threadpool (name and size) related params are used from the global config, as this threadpool is shared across all the models that want to batch requests. This option is only applicable when --enable_batching flag is set."),
    ("model_config_file", "string", "", "If non-empty, read an ascii ModelServerConfig protobuf from the supplied file name, and serve the models in that file. This config file can be used to specify multiple models to serve and other advanced parameters including non-default version policy. (If used, --model_name, --model_base_path are ignored.)"),
    ("model_config_file_poll_wait_seconds", "int32", 0, "Interval in seconds between each poll of the filesystemfor model_config_file. If unset or set to zero, poll will be done exactly once and not periodically. Setting this to negative is reserved for testing purposes only."),
    ("model_name", "string", "default", "name of model (ignored if --model_config_file flag is set)"),
    ("model_base_path", "string", "", "path to export (ignored if --model_config_file flag is set, otherwise required)"),
    ("num_load_threads", "int32", 0, "The number of threads in the thread-pool used to load servables. If set as 0, we don't use a thread-pool, and servable loads are performed serially in the manager's main work loop, may casue the Serving request to be delayed. Default: 0"),
    ("num_unload_threads", "int32", 0, "The number of threads in the thread-pool used to unload servables. If set as 0, we don't use a thread-pool, and servable loads are performed serially in the manager's main work loop, may casue the Serving request to be delayed. Default: 0"),
    ("max_num_load_retries", "int32", 5, "maximum number of times it retries loading a model after the first failure, before giving up. If set to 0, a load is attempted only once. Default: 5"),
    ("load_retry_interval_micros", "int64", 60000000, "The interval, in microseconds, between each servable load retry. If set negative, it doesn't wait. Default: 1 minute"),
    ("file_system_poll_wait_seconds", "int32", 1, "Interval in seconds between each poll of the filesystem for new model version. If set to zero poll will be exactly done once and not periodically. Setting this to negative value will disable polling entirely causing ModelServer to indefinitely wait for a new model at startup. Negative values are reserved for testing purposes only."),
    ("flush_filesystem_caches", "bool", True, "If true (the default), filesystem caches will be flushed after the initial load of all servables, and after each subsequent individual servable reload (if the number of load threads is 1). This reduces memory consumption of the model server, at the potential cost of cache misses if model files are accessed after servables are loaded."),
    ("tensorflow_session_parallelism", "int64", 0, "Number of threads to use for running a Tensorflow session. Auto-configured by default.Note that this option is ignored if --platform_config_file is non-empty."),
    ("tensorflow_session_config_file", "string", "", "If non-empty, read an ascii TensorFlow Session ConfigProto protobuf from the supplied file name. Note, parts of the session config (threads, parallelism etc.) can be overridden if needed, via corresponding command line flags."),
    ("tensorflow_intra_op_parallelism", "int64", 0, "Number of threads to use to parallelize the executionof an individual op. Auto-configured by default.Note that this option is ignored if --platform_config_file is non-empty."),
    ("tensorflow_inter_op_parallelism", "int64", 0, "Controls the number of operators that can be executed simultaneously. Auto-configured by default.Note that this option is ignored if --platform_config_file is non-empty."),
    ("use_alts_credentials", "bool", False, "Use Google ALTS credentials"),
    ("ssl_config_file", "string", "", "If non-empty, read an ascii SSLConfig protobuf from the supplied file name and set up a secure gRPC channel"),
    ("platform_config_file", "string", "", "If non-empty, read an ascii PlatformConfigMap protobuf from the supplied file name, and use that platform config instead of the Tensorflow platform. (If used, --enable_batching is ignored.)"),
    ("per_process_gpu_memory_fraction", "float", 0.0, "Fraction that each process occupies of the GPU memory space the value is between 0.0 and 1.0 (with 0.0 as the default) If 1.0, the server will allocate all the memory when the server starts, If 0.0, Tensorflow will automatically select a value."),
    ("saved_model_tags", "string", "serve", "Comma-separated set of tags corresponding to the meta graph def to load from SavedModel."),
    ("grpc_channel_arguments", "string", "", "A comma separated list of arguments to be passed to the grpc server. (e.g. grpc.max_connection_age_ms=2000)"),
    ("grpc_max_threads", "int32", 4 * _CPUS, "Max grpc server threads to handle grpc messages."),
    ("enable_model_warmup", "bool", True, "Enables model warmup, which triggers lazy initializations (such as TF optimizations) at load time, to reduce first request latency."),
    ("num_request_iterations_for_warmup", "int32", 0, "Number of times a request is iterated during warmup replay. This value is used only if > 0."),
    ("version", "bool", False, "Display version"),
    ("monitoring_config_file", "string", "", "If non-empty, read an ascii MonitoringConfig protobuf from the supplied file name"),
    ("remove_unused_fields_from_bundle_metagraph", "bool", True, "Removes unused fields from MetaGraphDef proto message to save memory."),
    ("prefer_tflite_model", "bool", False, "EXPERIMENTAL; CAN BE REMOVED ANYTIME! Prefer TensorFlow Lite model from `model.tflite` file in SavedModel directory, instead of the TensorFlow model from `saved_model.pb` file. If no TensorFlow Lite model found, fallback to TensorFlow model."),
    ("num_tflite_pools", "int32", _CPUS, "EXPERIMENTAL; CAN BE REMOVED ANYTIME! Number of TFLite interpreters in an interpreter pool of TfLiteSession. Typically there is one TfLiteSession for each TF Lite model that is loaded. If not set, will be auto set based on number of CPUs."),
    ("num_tflite_interpreters_per_pool", "int32", 1, "EXPERIMENTAL; CAN BE REMOVED ANYTIME! Number of TFLite interpreters in an interpreter pool of TfLiteSession. Typically there is one TfLiteSession for each TF Lite model that is loaded. If not set, will be 1."),
    ("enable_signature_method_name_check", "bool", False, "Enable method_name check for SignatureDef. Disable this if serving native TF2 regression/classification models."),
    ("xla_cpu_compilation_enabled", "bool", False, "EXPERIMENTAL; CAN BE REMOVED ANYTIME! Enable XLA:CPU JIT (default is disabled). With XLA:CPU JIT disabled, models utilizing this feature will return bad Status on first compilation request."),
    ("xla_gpu_compilation_enabled", "bool", False, "EXPERIMENTAL; CAN BE REMOVED ANYTIME! Enable both XLA:CPU JIT and XLA:GPU JIT (default is disabled)."),
    ("enable_profiler", "bool", True, "Enable profiler service."),
    ("thread_pool_factory_config_file", "string", "", "If non-empty, read an ascii ThreadPoolConfig protobuf from the supplied file name."),
    ("mixed_precision", "string", "", "specify mixed_precision mode"),
    ("skip_initialize_tpu", "bool", False, "Whether to skip auto initializing TPU."),
    ("enable_grpc_healthcheck_service", "bool", False, "Enable the standard gRPC healthcheck service."),
    ("enable_serialization_as_tensor_content", "bool", False, "Enable serialization of predict response as tensor content."),
]

# Printed by --version (model_servers/main.cc, version.h). 2.21.0 (docker/.env TFS_IMAGE) is the
# TF Serving release this server mirrors; "-compat" marks it as a reimplementation.
SERVING_VERSION = "2.21.0-compat"

INT_RANGES = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1)}


class Options:
    """Parsed flag values as attributes (names as on the command line)."""

    def __init__(self):
        for name, _, default, _ in FLAGS:
            setattr(self, name, default)


def usage(argv0):
    # Layout of TF Flags::Usage: "\t%-33s\t%s\t%s\n" per flag.
    lines = ["usage: %s" % argv0, "Flags:"]
    for name, typ, default, help_text in FLAGS:
        if typ == "bool":
            shown = "--%s=%s" % (name, "true" if default else "false")
        elif typ == "string":
            shown = '--%s="%s"' % (name, default)
        elif typ == "float":
            shown = "--%s=%f" % (name, default)
        else:
            shown = "--%s=%d" % (name, default)
        lines.append("\t%-33s\t%s\t%s" % (shown, typ, help_text))
    return "\n".join(lines) + "\n"


def _parse_int(text, typ):
    # sscanf("%d%c") semantics: optional leading whitespace, sign, digits, nothing after.
    s = text.lstrip(" \t\n\r\f\v")
    body = s[1:] if s[:1] in "+-" else s
    if not body or not body.isdigit() or not body.isascii():
        return None
    v = int(s)
    lo, hi = INT_RANGES[typ]
    return v if lo <= v <= hi else None


def _parse_float(text):
    s = text.strip()
    try:
        return float(s) if s and s.lower() not in ("nan", "inf", "-inf", "infinity") else None
    except ValueError:
        return None


def _log_error(msg):
    # TF LOG(ERROR) goes to stderr.
    sys.stderr.write("E command_line_flags.cc] %s\n" % msg)
    sys.stderr.flush()


def parse(argv):
    """Returns (options, ok, unknown_args). ok=False means: print usage and exit 255."""
    opts = Options()
    ok = True
    unknown = []
    by_name = {f[0]: f for f in FLAGS}
    args = argv[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            unknown.extend(args[i - 1:])
            break
        found = False
        if arg.startswith("--"):
            rest = arg[2:]
            name, eq, value = rest.partition("=")
            spec = by_name.get(name)
            if spec is not None:
                typ = spec[1]
                if typ == "bool":
                    if not eq:
                        setattr(opts, name, True)
                        found = True
                    else:
                        found = True
                        low = value.lower()
                        if low == "true" or value == "1":
                            setattr(opts, name, True)
                        elif low == "false" or value == "0":
                            setattr(opts, name, False)
                        else:
                            _log_error("Couldn't interpret value %s for flag %s." % (value, name))
                            ok = False
                elif eq:
                    found = True
                    if typ == "string":
                        setattr(opts, name, value)
                    else:
                        v = _parse_int(value, typ) if typ in INT_RANGES else _parse_float(value)
                        if v is None:
                            _log_error("Couldn't interpret value %s for flag %s." % (value, name))
                            ok = False
                        else:
                            setattr(opts, name, v)
        if not found:
            unknown.append(arg)
    if unknown and unknown[0] == "--help":
        ok = False
    return opts, ok, unknown
