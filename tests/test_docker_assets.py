"""The deployment files in docker/: validated with the tools that define them, cross-checked
against each other, and run where this machine can run them.

* every file of docs/, snippets/ and docker/ names the one pinned TF Serving image;
* docker/compose.yaml against the Compose Specification (check-jsonschema's vendored schema);
* docker/k8s/*.yaml against the Kubernetes OpenAPI schemas (kubernetes-validate, strict);
* the nginx template, rendered as the compose file renders it, through the real `nginx -t`;
* the Dockerfile's model layout, and the compose health check, against the server that loads it.

All offline: both validators ship their schemas.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.gate.backend import TF_SERVING_IMAGE, TF_SERVING_TAG, pinned_image
from tests.gate.requirements import missing

REPO = Path(__file__).resolve().parents[1]
DOCKER = REPO / "docker"
K8S_FILES = sorted((DOCKER / "k8s").glob("*.yaml"))
BIN = Path(sys.executable).parent
SERVER_MISSING = not (REPO / "tfs_compat" / "__main__.py").exists()


def _tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else (shutil.which(name) or pytest.skip(f"{name} not installed"))


def _cluster_module():
    """snippets/scaling-out/cluster.py: the renderer the loopback test on scaling-out.md uses."""
    spec = importlib.util.spec_from_file_location("scaling_cluster", REPO / "snippets/scaling-out/cluster.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def _k8s_docs() -> list[dict]:
    return [doc for path in K8S_FILES for doc in yaml.safe_load_all(path.read_text()) if doc]


def _of_kind(kind: str) -> list[dict]:
    return [doc for doc in _k8s_docs() if doc["kind"] == kind]


# ----------------------------------------------------------------------------------------------
# One pinned image
# ----------------------------------------------------------------------------------------------
# An image reference, not a URL (github.com/tensorflow/serving, hub.docker.com/r/tensorflow/serving).
# Nor an issue reference (tensorflow/serving#1948) or a signature method name
# (tensorflow/serving/predict, printed by saved_model_cli).
IMAGE_REF = re.compile(r"(?<![\w./-])tensorflow/serving(?![#/\w-])(?::([\w.-]+))?(?:@sha256:[0-9a-f]{64})?")


def _image_refs():
    for folder in ("docs", "snippets", "docker", "tests", ".github"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.suffix in (".pyc", ".pb") or "variables" in path.parts:
                continue
            if path.is_file() and "__pycache__" not in path.parts:
                text = path.read_text(errors="replace")
                for match in IMAGE_REF.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    yield f"{path.relative_to(REPO)}:{line}", match


def test_every_file_names_the_pinned_tf_serving_image():
    refs = list(_image_refs())
    # `tensorflow/serving:TAG` is a placeholder in prose (contributing.md), not a tag. Pages may
    # name the tag without the digest docker/.env may add.
    placeholders = ("tensorflow/serving:TAG", "tensorflow/serving:X.Y.Z")
    wrong = [f"{where}: {match.group(0)}" for where, match in refs
             if match.group(0) not in (TF_SERVING_IMAGE, TF_SERVING_TAG, *placeholders)
             # Code and prose in tests/ and .github/ may name the project without a tag.
             and not (where.startswith(("tests/", ".github/")) and match.group(1) is None)
             # these two feed wrong tags to their checks on purpose
             and not where.startswith(("tests/test_docker_assets.py", "tests/test_workflows.py"))]
    assert not wrong, (f"docker/.env pins {TF_SERVING_IMAGE}; these name another image "
                       f"(sed -i 's#OLD#{TF_SERVING_TAG}#' FILE):\n" + "\n".join(wrong))
    named = {where.split(":")[0] for where, _ in refs}
    assert "docker/.env" in named
    # The base image of the baked image is the pinned one, digest included.
    assert _dockerfile()["FROM"] == [[TF_SERVING_IMAGE]]


def test_compose_takes_the_images_from_the_env_file(tmp_path):
    """compose.yaml names no image itself: ${TFS_IMAGE} and ${NGINX_IMAGE} come from docker/.env,
    and interpolating them as compose does gives the pinned images."""
    text = (DOCKER / "compose.yaml").read_text()
    assert not IMAGE_REF.search(text) and "nginx:1" not in text
    images = {svc["image"] for svc in _compose()["services"].values()}
    assert {_interpolate(i, DOCKER / ".env") for i in images} == {TF_SERVING_IMAGE, pinned_image("NGINX_IMAGE")}
    # Counter-check: an env file without the variable is an error, as compose's ${VAR:?} is.
    empty = tmp_path / ".env"
    empty.write_text("OTHER=1\n")
    with pytest.raises(KeyError):
        _interpolate("${TFS_IMAGE:?x}", empty)


def _interpolate(value: str, env_file: Path) -> str:
    """Compose's ${VAR} / ${VAR:?message} interpolation of one string, from an env file."""
    return re.sub(r"\$\{(\w+)(?::\?[^}]*)?\}", lambda m: pinned_image(m.group(1), env_file), value)


def test_image_pattern_catches_unpinned_names():
    digest = "@sha256:" + "ab" * 32
    text = ("FROM tensorflow/serving\nimage: tensorflow/serving:latest\nsee github.com/tensorflow/serving\n"
            "tensorflow/serving#1948, method tensorflow/serving/predict, `tensorflow/serving` image\n"
            f"FROM tensorflow/serving:9.9.9{digest}")
    assert [m.group(0) for m in IMAGE_REF.finditer(text)] == [
        "tensorflow/serving", "tensorflow/serving:latest", "tensorflow/serving",
        f"tensorflow/serving:9.9.9{digest}"]


def test_pinned_image_is_read_from_the_env_file(tmp_path):
    env = tmp_path / ".env"
    env.write_text("# comment\nTFS_IMAGE=tensorflow/serving:9.9.9@sha256:" + "0" * 64 + "\n")
    assert pinned_image("TFS_IMAGE", env).endswith("0" * 64)
    with pytest.raises(KeyError, match="NGINX_IMAGE"):
        pinned_image("NGINX_IMAGE", env)


# ----------------------------------------------------------------------------------------------
# Schemas
# ----------------------------------------------------------------------------------------------
def test_compose_file_matches_the_compose_spec():
    out = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                          str(DOCKER / "compose.yaml")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_compose_validator_rejects_a_broken_file(tmp_path):
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  tfs:\n    image: x\n    helthcheck: {}\n")
    out = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(broken)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "helthcheck" in out.stdout


@pytest.mark.parametrize("path", K8S_FILES, ids=lambda p: p.name)
def test_kubernetes_manifests_match_the_api_schemas(path):
    out = subprocess.run([_tool("kubernetes-validate"), "--strict", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_kubernetes_validator_rejects_a_broken_manifest(tmp_path):
    broken = tmp_path / "deployment.yaml"
    doc = _of_kind("Deployment")[0]
    doc["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}  # a typo
    broken.write_text(yaml.safe_dump(doc))
    out = subprocess.run([_tool("kubernetes-validate"), "--strict", str(broken)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0, out.stdout


# ----------------------------------------------------------------------------------------------
# The files agree with each other
# ----------------------------------------------------------------------------------------------
def _tfs_services(compose: dict) -> dict:
    return {name: svc for name, svc in compose["services"].items()
            if _interpolate(svc.get("image", ""), DOCKER / ".env") == TF_SERVING_IMAGE}


def test_compose_runs_three_identical_replicas_behind_nginx():
    compose = _compose()
    replicas = _tfs_services(compose)
    assert len(replicas) == 3
    commands = {tuple(svc["command"]) for svc in replicas.values()}
    volumes = {tuple(svc["volumes"]) for svc in replicas.values()}
    assert len(commands) == 1 and len(volumes) == 1, "replicas must serve the same models, same flags"
    command = list(commands.pop())
    assert "--model_config_file=/config/models.config" in command
    assert "./models.config:/config/models.config:ro" in volumes.pop()
    nginx = compose["services"]["nginx"]
    assert sorted(nginx["ports"]) == ["8500:8500", "8501:8501"]
    for name, svc in replicas.items():
        assert "ports" not in svc, f"{name}: only nginx publishes ports"
        assert nginx["depends_on"][name] == {"condition": "service_healthy"}
        assert svc["healthcheck"]["test"] == ["CMD", "bash", "/config/bin/tfs-ready.sh", "digits"]
        assert svc["entrypoint"] == ["bash", "/config/bin/tfs-entrypoint.sh"]
        assert "./bin:/config/bin:ro" in svc["volumes"]
    for flag in ("--batching_parameters_file=/config/batching.config",
                 "--monitoring_config_file=/config/monitoring.config"):
        assert flag in command


def test_nginx_environment_fills_every_template_variable():
    cluster = _cluster_module()
    template = (DOCKER / "nginx/templates/tfs.conf.template").read_text()
    env = _compose()["services"]["nginx"]["environment"]
    variables = set(cluster.TEMPLATE_VARIABLE.findall(template))
    given = {k for k in env if re.match(env["NGINX_ENVSUBST_FILTER"], k)}
    assert variables == given
    upstreams = {f"tfs-{i}" for i in (1, 2, 3)}
    for key, port in (("TFS_REST_SERVERS", 8501), ("TFS_GRPC_SERVERS", 8500)):
        # Names re-resolved through Docker's DNS (finding: resolved once at start).
        assert set(re.findall(rf"server (tfs-\d):{port} resolve;", env[key])) == upstreams, env[key]
        assert "resolver 127.0.0.11 valid=10s;" in env[key]
    with pytest.raises(KeyError, match="TFS_ACCESS_LOG"):
        cluster.render_nginx(template, {k: "x" for k in given - {"TFS_ACCESS_LOG"}})


def test_models_config_is_what_the_pages_and_probes_expect():
    config = (DOCKER / "models.config").read_text()
    names = re.findall(r'name:\s*"([^"]+)"', config)
    assert names == ["digits", "digits_ab"]
    assert re.findall(r'base_path:\s*"([^"]+)"', config) == ["/models/digits", "/models/digits_ab"]
    assert dict(re.findall(r'key:\s*"(\w+)"\s+value:\s*(\d+)', config)) == {"stable": "1", "canary": "2"}
    assert "specific { versions: 1 versions: 2 }" in config and "latest { num_versions: 1 }" in config
    # Labels in a startup config point at versions that are not loaded yet (server_core.cc).
    assert "--allow_version_labels_for_unavailable_models=true" in next(iter(_tfs_services(_compose()).values()))["command"]


def _built_image_tag() -> str:
    """The tag docker/Dockerfile's documented build gives its image (`docker build ... -t TAG .`)."""
    [tag] = re.findall(r"docker build -f docker/Dockerfile -t (\S+) \.", (DOCKER / "Dockerfile").read_text())
    return tag


def test_kubernetes_deployment_is_production_shaped():
    deployment = _of_kind("Deployment")[0]
    pod = deployment["spec"]["template"]
    container = pod["spec"]["containers"][0]
    # The image docker/Dockerfile builds (models baked in on the pinned TF Serving image).
    assert container["image"] == _built_image_tag()
    # The same TF Serving flags as the compose replicas (plus Kubernetes-only ones).
    compose_flags = next(iter(_tfs_services(_compose()).values()))["command"]
    assert set(compose_flags) <= set(container["args"]), set(compose_flags) - set(container["args"])
    assert container["readinessProbe"]["exec"]["command"][0] == "/usr/local/bin/tfs-ready"
    assert container["livenessProbe"]["grpc"]["port"] == 8500
    assert "--enable_grpc_healthcheck_service=true" in container["args"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind])
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert pod["spec"]["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/config"]["readOnly"]
    # Replicas on different nodes where the cluster has several.
    keys = {c["topologyKey"] for c in pod["spec"]["topologySpreadConstraints"]}
    assert "kubernetes.io/hostname" in keys


def test_services_and_autoscaler_point_at_the_deployment():
    deployment = _of_kind("Deployment")[0]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    services = {svc["metadata"]["name"]: svc for svc in _of_kind("Service")}
    for svc in services.values():
        assert svc["spec"]["selector"].items() <= labels.items()
    headless = [svc for svc in services.values() if svc["spec"].get("clusterIP") == "None"]
    assert len(headless) == 1 and [p["port"] for p in headless[0]["spec"]["ports"]] == [8500], \
        "gRPC needs a headless Service so clients can balance per call"
    # ...and only there: a ClusterIP gRPC port would pin each client's calls to one pod.
    for svc in services.values():
        if svc["spec"].get("clusterIP") != "None":
            assert 8500 not in [p["port"] for p in svc["spec"]["ports"]], svc["metadata"]["name"]
    hpa = _of_kind("HorizontalPodAutoscaler")[0]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": deployment["metadata"]["name"]}
    assert hpa["spec"]["minReplicas"] >= 2


def test_kubernetes_client_example_uses_the_headless_service():
    service = (DOCKER / "k8s/service.yaml").read_text()
    headless = next(s for s in _of_kind("Service") if s["spec"].get("clusterIP") == "None")
    assert f'dns:///{headless["metadata"]["name"]}.default.svc.cluster.local:8500' in service
    assert '"round_robin"' in service


# ----------------------------------------------------------------------------------------------
# nginx -t on the configuration the compose file renders
# ----------------------------------------------------------------------------------------------
def _render_compose_nginx(tmp_path: Path) -> Path:
    """The template rendered with the compose file's environment, as the nginx image does, then
    wrapped in the local main configuration. Only host names change: tfs-N resolves inside
    compose's network, not here, and nginx -t resolves upstream names."""
    cluster = _cluster_module()
    env = dict(_compose()["services"]["nginx"]["environment"])
    for key in ("TFS_REST_SERVERS", "TFS_GRPC_SERVERS"):
        env[key] = re.sub(r"tfs-\d", "127.0.0.1", env[key])
        if _nginx_version() < (1, 27, 3):
            # The image's nginx (1.28) re-resolves names (`resolver` in an upstream, `server ...
            # resolve`: 1.27.3+); this machine's older nginx checks everything else.
            env[key] = re.sub(r"resolver [^;]*;|(?<=:\d{4}) resolve", "", env[key])
    env["TFS_REST_LISTEN"] = f"127.0.0.1:{_free_port()}"
    env["TFS_GRPC_LISTEN"] = f"127.0.0.1:{_free_port()}"
    env["TFS_ACCESS_LOG"] = str(tmp_path / "access.log")
    conf = cluster.render_nginx((DOCKER / "nginx/templates/tfs.conf.template").read_text(), env)
    assert not cluster.TEMPLATE_VARIABLE.search(conf)
    (tmp_path / "tfs.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(cluster.NGINX_MAIN.format(d=tmp_path))
    return tmp_path / "nginx.conf"


def _nginx() -> str:
    reason = missing("requires_nginx")
    if reason:
        pytest.skip(reason)
    return shutil.which("nginx") or "/usr/sbin/nginx"


def _nginx_version() -> tuple[int, ...]:
    out = subprocess.run([_nginx(), "-v"], capture_output=True, text=True, timeout=10)
    return tuple(int(n) for n in re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out.stderr).groups())


def test_nginx_accepts_the_rendered_configuration(tmp_path):
    nginx = _nginx()
    main = _render_compose_nginx(tmp_path)
    out = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "test is successful" in out.stderr


def test_nginx_rejects_a_broken_configuration(tmp_path):
    nginx = _nginx()
    main = _render_compose_nginx(tmp_path)
    conf = tmp_path / "tfs.conf"
    conf.write_text(conf.read_text().replace("grpc_pass grpc://tfs_grpc;", "grpc_pass grpc://tfs_grpc"))
    out = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0


# ----------------------------------------------------------------------------------------------
# The Dockerfile's model layout, loaded by the server
# ----------------------------------------------------------------------------------------------
def _dockerfile() -> dict:
    """FROM, ENV, COPY, EXPOSE, USER of docker/Dockerfile (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", (DOCKER / "Dockerfile").read_text())
    parsed = {"ENV": {}, "COPY": [], "EXPOSE": [], "FROM": [], "USER": []}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        instruction, _, rest = line.strip().partition(" ")
        instruction = instruction.upper()
        if instruction == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                parsed["ENV"][key] = value
        elif instruction == "EXPOSE":
            parsed["EXPOSE"] += [int(p.split("/")[0]) for p in rest.split()]
        elif instruction in parsed:
            parsed[instruction].append(rest.split())
    return parsed


def test_dockerfile_bakes_the_models_and_the_scripts():
    df = _dockerfile()
    assert df["FROM"] == [[TF_SERVING_IMAGE]]
    assert df["ENV"]["MODEL_BASE_PATH"] == "/models" and df["ENV"]["MODEL_NAME"] == "digits"
    copies = dict(tuple(args) for args in df["COPY"])
    # Every model of models.config lands where its base_path points: /models/<name>/<version>.
    assert copies["models/"] == "/models/"
    config = (DOCKER / "models.config").read_text()
    assert set(re.findall(r'base_path:\s*"([^"/]+|/models/[^"]+)"', config)) == {"/models/digits", "/models/digits_ab"}
    assert copies["docker/bin/tfs-entrypoint.sh"] == "/usr/local/bin/tfs-entrypoint"
    assert copies["docker/bin/tfs-ready.sh"] == "/usr/local/bin/tfs-ready"
    assert 'ENTRYPOINT ["/usr/local/bin/tfs-entrypoint"]' in (DOCKER / "Dockerfile").read_text()
    assert {8500, 8501} <= set(df["EXPOSE"])
    assert df["USER"] and df["USER"][-1][0].split(":")[0] not in ("0", "root")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def image_root(tmp_path):
    """A build context holding models/digits/1 (a tiny SavedModel) and the file system the
    Dockerfile's COPY makes of it (models from the context, scripts from docker/bin)."""
    from tests.tfs_compat import models  # the conformance suite's SavedModel writer

    context = tmp_path / "context"
    models.write_half_plus_two(context / "models" / "digits", 1)
    root = tmp_path / "image"
    for source, dest in (tuple(args) for args in _dockerfile()["COPY"]):
        origin = REPO / source if source.startswith("docker/") else context / source
        target = root / dest.lstrip("/")
        if origin.is_dir():
            shutil.copytree(origin, target, dirs_exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)
    return root


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.skipif(SERVER_MISSING, reason="the compatible server (tfs_compat) is not there")
def test_the_server_loads_the_dockerfile_layout_and_passes_the_readiness_check(image_root, tmp_path):
    """Start the server as the image's entrypoint would, on the Dockerfile's file system, and run
    the image's readiness check (compose health check, Kubernetes probes) against it."""
    import requests

    from tfs_compat.launcher import Server

    df = _dockerfile()
    env = {"MODEL_NAME": df["ENV"]["MODEL_NAME"], "MODEL_BASE_PATH": str(image_root) + df["ENV"]["MODEL_BASE_PATH"]}
    rest = _free_port()
    server = Server([f"--port={_free_port()}", f"--rest_api_port={rest}"], entrypoint_env=env,
                    log_path=tmp_path / "server.log")
    ready = [str(image_root / "usr/local/bin/tfs-ready")]
    probe_env = {**os.environ, "TFS_REST_PORT": str(rest)}
    with server:
        server.wait_available(timeout=120)
        status = requests.get(f"{server.rest_url}/v1/models/digits", timeout=10).json()
        assert status == {"model_version_status": [
            {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}
        assert subprocess.run([*ready, "digits"], env=probe_env, timeout=10).returncode == 0
        assert subprocess.run([*ready, "digits", "nope"], env=probe_env, timeout=10).returncode != 0


def test_nginx_reports_a_dead_replica_as_retryable_grpc_unavailable(tmp_path):
    """With no replica reachable, nginx answers gRPC with grpc-status 14 (UNAVAILABLE, which
    client retry policies resend) rather than a bare HTTP 502 (final for a gRPC client), and REST
    with a 502."""
    import grpc
    import requests

    nginx = _nginx()
    cluster = _cluster_module()
    dead = _free_port()  # nothing listens there
    rest, grpc_port = _free_port(), _free_port()
    conf = cluster.render_nginx((DOCKER / "nginx/templates/tfs.conf.template").read_text(), {
        "TFS_REST_SERVERS": f"server 127.0.0.1:{dead};", "TFS_GRPC_SERVERS": f"server 127.0.0.1:{dead};",
        "TFS_REST_LISTEN": f"127.0.0.1:{rest}", "TFS_GRPC_LISTEN": f"127.0.0.1:{grpc_port}",
        "TFS_ACCESS_LOG": tmp_path / "access.log"})
    (tmp_path / "tfs.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(cluster.NGINX_MAIN.format(d=tmp_path))
    process = subprocess.Popen([nginx, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                                "-c", str(tmp_path / "nginx.conf")], stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not cluster._port_open(grpc_port) or not cluster._port_open(rest):
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "error.log").read_text()
            time.sleep(0.05)
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            predict = channel.unary_unary("/tensorflow.serving.PredictionService/Predict")
            with pytest.raises(grpc.RpcError) as failure:
                predict(b"", timeout=10)
        assert failure.value.code() == grpc.StatusCode.UNAVAILABLE
        assert failure.value.details() == "no TF Serving replica answered"
        assert requests.post(f"http://127.0.0.1:{rest}/v1/models/digits:predict", json={}, timeout=10).status_code == 502
    finally:
        _stop(process)


# ----------------------------------------------------------------------------------------------
# The "verified" note names the TF Serving version that answered
# ----------------------------------------------------------------------------------------------
def test_every_backend_names_the_version_it_is_or_mirrors():
    from tests.gate import backend

    from tests.gate.backend import TF_SERVING_VERSION

    assert TF_SERVING_VERSION == TF_SERVING_TAG.rpartition(":")[2] and re.fullmatch(r"\d+\.\d+\.\d+", TF_SERVING_VERSION)
    assert backend.DockerBackend.name.startswith(f"TF Serving {TF_SERVING_VERSION} ")
    assert f"mirroring TF Serving {TF_SERVING_VERSION}" in backend.CompatibleServerBackend.name
    # The compatible server reports the release it mirrors (--version, as tensorflow_model_server).
    from tfs_compat.flags import SERVING_VERSION

    assert SERVING_VERSION == f"{TF_SERVING_VERSION}-compat"


def test_verified_note_shows_the_backend_and_its_version(tmp_path, monkeypatch):
    import json
    from types import SimpleNamespace

    from docs_site import verified_hook
    from tests.gate import backend

    stats = {"tensorflow": "2.21.0", "keras": "3", "python": "3.11", "date": "2026-01-01", "machine": "m",
             "passed": 1, "blocks": 1, "failed": 0, "skipped": {}, "seconds": 1.0,
             "backend": backend.CompatibleServerBackend.name}
    (tmp_path / "verified.json").write_text(json.dumps({"pages": {"tf-serving.md": stats}}))
    monkeypatch.setattr(verified_hook, "ARTIFACTS", tmp_path)
    page = SimpleNamespace(file=SimpleNamespace(src_path="tf-serving.md"))
    note = verified_hook.on_page_markdown("Text.\n", page, None, None)
    assert f"mirroring TF Serving {backend.TF_SERVING_VERSION}" in note
    del stats["backend"]  # a page that started no server names none
    (tmp_path / "verified.json").write_text(json.dumps({"pages": {"tf-serving.md": stats}}))
    assert "TF Serving" not in verified_hook.on_page_markdown("Text.\n", page, None, None)
