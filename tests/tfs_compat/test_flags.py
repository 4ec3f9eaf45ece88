"""Command-line behaviour of ``python -m tfs_compat`` (TF Serving's
``tensorflow_model_server`` flags: tensorflow_serving/model_servers/main.cc)."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from tests.tfs_compat.harness import (
    EXTERNAL,
    NEEDS_OWN_SERVER,
    START_TIMEOUT,
    free_port,
    predict_request,
    to_ndarray,
    make_server,
    port_open,
    wait_until,
)

pytestmark = pytest.mark.skipif(EXTERNAL, reason=NEEDS_OWN_SERVER)


# ---------------------------------------------------------------------------------------------
# Start-up failures: exit status 255 and a message. All are started at once (module fixture) so
# their TensorFlow imports overlap.
# ---------------------------------------------------------------------------------------------
def _failure_cases(tmp: Path, model_sources) -> dict:
    base = model_sources["plus2"].parent
    bad_config = tmp / "bad_model_config.txt"
    bad_config.write_text("improperly formatted file")
    labels_config = tmp / "labels.config"
    labels_config.write_text(
        "model_config_list {\n  config {\n    name: \"half_plus_two\"\n"
        f"    base_path: \"{base}\"\n    model_platform: \"tensorflow\"\n"
        "    version_labels { key: \"stable\" value: 1 }\n  }\n}\n"
    )
    batching = tmp / "batching.config"
    batching.write_text("max_batch_size { value: 8 }\n")
    model = ["--model_name=half_plus_two", f"--model_base_path={base}"]
    return {
        # source: TF tensorflow/core/util/command_line_flags.cc ("Couldn't interpret value <v>
        # for flag <name>."), tensorflow_serving/model_servers/main.cc (usage, return -1)
        "bad_int": (["--port=abc", *model], ["Couldn't interpret value abc for flag port."]),
        "bad_bool": (["--enable_batching=yes", *model],
                     ["Couldn't interpret value yes for flag enable_batching."]),
        # source: tensorflow_serving/model_servers/server.cc BuildAndStart; main.cc ("Failed to
        # start server. Error: <status>")
        "no_model": ([], ["Failed to start server. Error: ",
                          "Both server_options.model_base_path and server_options.model_config_file "
                          "are empty!"]),
        "batching_file_without_flag": (
            [f"--batching_parameters_file={batching}", *model],
            ["server_options.batching_parameters_file is set without setting "
             "server_options.enable_batching to true."]),
        # source: tensorflow_serving/model_servers/server_core.cc ValidateModelConfigList
        "relative_base_path": (
            ["--model_name=half_plus_two", "--model_base_path=models/half_plus_two"],
            ["Failed to start server. Error: ",
             "Expected model half_plus_two to have an absolute path or URI; got "
             "base_path()=models/half_plus_two"]),
        # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py
        # testBadModelConfig ("Error parsing text-format tensorflow.serving.ModelServerConfig");
        # util/proto_util.h ParseProtoTextFile ("Invalid protobuf file")
        "bad_config_file": ([f"--model_config_file={bad_config}"],
                            ["Error parsing text-format tensorflow.serving.ModelServerConfig",
                             f"Invalid protobuf file: '{bad_config}'"]),
        # source: tensorflow_serving/model_servers/server_core.cc UpdateModelVersionLabelMap
        # (labels in the first config need --allow_version_labels_for_unavailable_models)
        "labels_at_startup": ([f"--model_config_file={labels_config}"],
                              ["Request to assign label to version 1 of model half_plus_two, "
                               "which is not currently available for inference"]),
    }


@pytest.fixture(scope="module")
def flag_processes(tmp_path_factory, model_sources):
    """Starts every process of this module at once (their TensorFlow imports overlap):
    the start-up failures, two servers that never finish starting, and one that serves."""
    tmp = tmp_path_factory.mktemp("flags")
    cases = _failure_cases(tmp, model_sources)
    missing = tmp / "does-not-exist"
    no_versions = tmp / "no_versions"
    (no_versions / "v1").mkdir(parents=True)  # not numeric: ignored
    (no_versions / "1.0").mkdir()
    base = model_sources["plus2"].parent
    other_port = free_port()
    started = {}
    try:
        # --bogus_flag=1 is the first unknown argument; "--rest_api_port <port>" (space form) is not
        # parsed either, so REST stays off (default rest_api_port=0)
        serving = make_server(
            tmp, ["--model_name=half_plus_two", f"--model_base_path={base}", "--bogus_flag=1",
                  "--rest_api_port", str(other_port)], rest=False, name="serving")
        started["serving"] = serving.start()
        for name, path in (("missing", missing), ("no_versions", no_versions)):
            srv = make_server(tmp, ["--model_name=half_plus_two", f"--model_base_path={path}",
                                    "--file_system_poll_wait_seconds=1"], name=name)
            started[name] = srv.start()
        for name, (args, _) in cases.items():
            started[name] = make_server(tmp, args, rest=False, name=name).start()
        failures = {}
        # generous: ten processes import TensorFlow at the same time here
        deadline = time.monotonic() + 2 * START_TIMEOUT
        for name in cases:
            srv = started[name]
            try:
                rc = srv.proc.wait(max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                rc = None
            failures[name] = (rc, srv.log(), cases[name][1])
        yield {"failures": failures, "serving": (serving, base, other_port),
               "missing": (started["missing"], missing),
               "no_versions": (started["no_versions"], no_versions)}
    finally:
        for srv in started.values():
            srv.stop()


@pytest.fixture(scope="module")
def startup_failures(flag_processes):
    return flag_processes["failures"]


@pytest.fixture(scope="module")
def waiting_servers(flag_processes):
    return flag_processes


@pytest.mark.parametrize(
    "case",
    ["bad_int", "bad_bool", "no_model", "batching_file_without_flag", "relative_base_path",
     "bad_config_file", "labels_at_startup"],
)
def test_startup_failure(startup_failures, case):
    rc, log, needles = startup_failures[case]
    assert rc == 255, f"exit status {rc} (want 255)\n{log[-3000:]}"
    for needle in needles:
        assert needle in log, f"{needle!r} not in output:\n{log[-3000:]}"
    assert "Traceback" not in log, log[-3000:]


def test_bad_flag_value_prints_usage(startup_failures):
    # source: tensorflow_serving/model_servers/main.cc (usage printed after a parse failure);
    # TF command_line_flags.cc Flags::Usage ("usage: <argv0>", "Flags:", "\t--port=8500\tint32\t...")
    _, log, _ = startup_failures["bad_int"]
    assert "usage: " in log
    assert "Flags:" in log
    assert "--port=8500" in log and "int32" in log
    assert "--rest_api_port=0" in log


# ---------------------------------------------------------------------------------------------
# Servers that never finish starting: missing base path / no numeric version directory
# ---------------------------------------------------------------------------------------------
def test_missing_base_path_keeps_polling(waiting_servers):
    # source: tensorflow_serving/sources/storage_path/file_system_storage_path_source.cc
    # ("Could not find base path <p> for servable <n>"); model_servers/server_core.cc and
    # core/load_servables_fast.cc (ports open only after the initial load: never here)
    srv, base = waiting_servers["missing"]
    srv.wait_log(f"Could not find base path {base} for servable half_plus_two")
    assert srv.proc.poll() is None, "server exited instead of waiting"
    assert not port_open(srv.grpc_port)
    assert not port_open(srv.rest_port)


def test_no_numeric_version_dir_keeps_polling(waiting_servers):
    # source: tensorflow_serving/sources/storage_path/file_system_storage_path_source.cc
    # (warning repeated every poll; the server keeps waiting)
    srv, base = waiting_servers["no_versions"]
    text = (f"No versions of servable half_plus_two found under base path {base}. Did you forget "
            "to name your leaf directory as a number (eg. '/1/')?")
    log = srv.wait_log(text)
    # repeated on the next polls (poll period 1 s)
    wait_until(lambda: srv.log().count(text) >= 2, timeout=30, what="the warning to repeat")
    assert srv.proc.poll() is None
    assert not port_open(srv.grpc_port)
    assert not port_open(srv.rest_port)
    assert "Traceback" not in log


def test_sigterm_while_waiting_for_models_ends_the_server_at_once(waiting_servers):
    # source: tensorflow_serving/model_servers/ installs no signal handler (main.cc, server.cc): the
    # default action of SIGTERM ends the process, also while BuildAndStart waits for the initial load.
    # Before this was so, the server set a flag nobody read until its models loaded, and a stop
    # waited out its whole grace period (30 s).
    srv, _ = waiting_servers["missing"]
    srv.wait_log("Could not find base path")
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.wait_exit(5.0) == -signal.SIGTERM


# ---------------------------------------------------------------------------------------------
# Flags that are accepted with a warning
# ---------------------------------------------------------------------------------------------
def test_unknown_flag_space_form_rest_off_and_sigterm(flag_processes, prediction_stub_for):
    # source: tensorflow_serving/model_servers/main.cc ("unknown argument: <argv[1]>" then keeps
    # starting; WaitForTermination returns on shutdown); TF tensorflow/core/util/
    # command_line_flags.cc (only --name=value is parsed: a bare "--rest_api_port" and its value
    # stay unknown arguments); model_servers/server.h (rest_api_port defaults to 0) and server.cc
    # BuildAndStart (REST only if rest_api_port != 0; logs "Running gRPC ModelServer at
    # 0.0.0.0:<port> ..."; single-model config logged as "Building single TensorFlow model file
    # config:  model_name: ... model_base_path: ...")
    srv, base, other_port = flag_processes["serving"]
    srv.wait_ready(["half_plus_two"])
    log = srv.log()
    assert "unknown argument: --bogus_flag=1" in log
    assert "unknown argument: --rest_api_port" not in log  # only the first unknown one is named
    assert f"Running gRPC ModelServer at 0.0.0.0:{srv.grpc_port} ..." in log
    assert ("Building single TensorFlow model file config:  model_name: half_plus_two "
            f"model_base_path: {base}") in log
    assert "Exporting HTTP/REST API" not in log
    assert not port_open(other_port)
    resp = prediction_stub_for(srv).Predict(
        predict_request("half_plus_two", {"x": np.array([[2.0]], np.float32)}), timeout=30)
    np.testing.assert_array_equal(to_ndarray(resp.outputs["y"]), [[3.0]])
    # SIGTERM: the process ends and the port can be bound again
    srv.proc.send_signal(signal.SIGTERM)
    srv.wait_exit(30.0)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # As a restarted server binds (SO_REUSEADDR): connections the old one closed may sit in
        # TIME_WAIT, which does not hold the port.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", srv.grpc_port))  # raises if still held
        s.listen()
