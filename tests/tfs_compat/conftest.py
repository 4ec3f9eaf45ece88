"""Fixtures for the TF-Serving conformance suite.

Servers are started as ``python -m tfs_compat <flags>`` from the repository root,
on 127.0.0.1 ports picked by the OS, with stdout+stderr captured to a log file (its tail is
attached to the report of every failing test). Readiness is polled with a deadline; every
process is terminated (SIGTERM, then SIGKILL after a timeout) and waited for, also when a
test fails.

Against a real TF Serving
-------------------------
Set ``TF_SERVING_REST_URL`` (e.g. ``http://127.0.0.1:8501``) and ``TF_SERVING_GRPC_TARGET``
(e.g. ``127.0.0.1:8500``) to run the suite against an already-running server instead of
starting one. It must serve the shared repository written by
``python -m tests.tfs_compat.models DIR --config-base=/models``, started with the same flags as the
``main_server`` fixture below, e.g.::

    docker run --rm -p 8500:8500 -p 8501:8501 -v DIR:/models tensorflow/serving \\
        --model_config_file=/models/models.config \\
        --monitoring_config_file=/models/monitoring.config \\
        --allow_version_labels_for_unavailable_models

Tests that need a server with other flags are then skipped ("needs its own server flags").
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from tests.tfs_compat.harness import (
    _LIVE_SERVERS,
    EXTERNAL,
    EXTERNAL_GRPC,
    EXTERNAL_REST,
    ServerPool,
    ServerProcess,
    make_server,
)


@pytest.fixture
def servers(tmp_path):
    """Function-scoped server starter (``servers.start([...flags], models=[...])``)."""
    pool = ServerPool(tmp_path)
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="module")
def module_servers(tmp_path_factory):
    """Module-scoped server starter, for servers shared by the tests of one module."""
    pool = ServerPool(tmp_path_factory.mktemp("servers"))
    try:
        yield pool
    finally:
        pool.close()


# ------------------------------------------------------------------------------------------
# Models
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def model_repo(tmp_path_factory):
    """The shared model repository (generated once per session, see models.build_repository)."""
    from tests.tfs_compat import models  # noqa: PLC0415

    return models.build_repository(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def model_sources(tmp_path_factory):
    """Single versions to copy into per-test base dirs: half_plus_two (+2) and (+3), broken."""
    from tests.tfs_compat import models  # noqa: PLC0415

    root = tmp_path_factory.mktemp("sources")
    return {
        "plus2": models.write_half_plus_two(root / "plus2", 1, offset=2.0),
        "plus3": models.write_half_plus_two(root / "plus3", 1, offset=3.0),
        "plus4": models.write_half_plus_two(root / "plus4", 1, offset=4.0),
    }


# ------------------------------------------------------------------------------------------
# The shared ("main") server
# ------------------------------------------------------------------------------------------
MAIN_MODELS = ("half_plus_two", "versioned", "multi", "strings", "identity")


@pytest.fixture(scope="session")
def main_server(request, tmp_path_factory):
    """The shared server: every model of ``models.build_repository`` from one config file,
    with the monitoring config and ``--allow_version_labels_for_unavailable_models`` (labels in
    a startup config need it: tensorflow_serving/model_servers/server_core.cc
    UpdateModelVersionLabelMap)."""
    if EXTERNAL:
        srv = ServerProcess(args=[], log_path=Path(os.devnull), external=True,
                            rest_url=EXTERNAL_REST.rstrip("/"), grpc_target=EXTERNAL_GRPC)
        srv.wait_ready(list(MAIN_MODELS), timeout=30)
        yield srv
        return
    repo = request.getfixturevalue("model_repo")
    srv = make_server(
        tmp_path_factory.mktemp("main-server"),
        [
            f"--model_config_file={repo['config']}",
            f"--monitoring_config_file={repo['monitoring']}",
            "--allow_version_labels_for_unavailable_models",
        ],
        name="main",
    )
    srv.start()
    try:
        srv.wait_ready(list(MAIN_MODELS))
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def rest_url(main_server) -> str:
    return main_server.rest_url


@pytest.fixture(scope="session")
def http():
    with requests.Session() as s:
        yield s


@pytest.fixture(scope="session")
def grpc_channel(main_server):
    import grpc  # noqa: PLC0415

    ch = grpc.insecure_channel(main_server.grpc_target)
    yield ch
    ch.close()


@pytest.fixture(scope="session")
def prediction_stub(grpc_channel):
    from tensorflow_serving.apis import prediction_service_pb2_grpc  # noqa: PLC0415

    return prediction_service_pb2_grpc.PredictionServiceStub(grpc_channel)


@pytest.fixture(scope="session")
def model_stub(grpc_channel):
    from tensorflow_serving.apis import model_service_pb2_grpc  # noqa: PLC0415

    return model_service_pb2_grpc.ModelServiceStub(grpc_channel)


# ------------------------------------------------------------------------------------------
# Failure reporting: attach the tail of every live server's log
# ------------------------------------------------------------------------------------------
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for srv in list(_LIVE_SERVERS):
            if not srv.external:
                report.sections.append((f"server log {srv.log_path.name}", srv.log_tail(60)))




def _stubs(service: str, stub: str):
    """Yield ``make(server)`` -> a ``stub`` of tensorflow_serving.apis.``service`` on that server."""
    import importlib  # noqa: PLC0415

    import grpc  # noqa: PLC0415

    module = importlib.import_module(f"tensorflow_serving.apis.{service}")
    channels = []

    def make(srv):
        ch = grpc.insecure_channel(srv.grpc_target)
        channels.append(ch)
        return getattr(module, stub)(ch)

    yield make
    for ch in channels:
        ch.close()


@pytest.fixture
def prediction_stub_for():
    """``prediction_stub_for(server)`` -> PredictionService stub on that server's gRPC port."""
    yield from _stubs("prediction_service_pb2_grpc", "PredictionServiceStub")


@pytest.fixture
def model_stub_for():
    """``model_stub_for(server)`` -> ModelService stub on that server's gRPC port."""
    yield from _stubs("model_service_pb2_grpc", "ModelServiceStub")
