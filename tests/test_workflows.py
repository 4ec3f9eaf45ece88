"""The hosting workflows are valid GitHub Actions workflows (schema shipped with check-jsonschema)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.gate.backend import TF_SERVING_IMAGE
from docs_site.expand import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def test_there_are_two_workflows():
    names = {w.name for w in WORKFLOWS}
    assert {"pages.yml", "gate-docker.yml"} <= names


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_the_github_schema(workflow: Path):
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run([str(checker), "--builtin-schema", "vendor.github-workflows", str(workflow)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_invalid_workflow_is_refused(tmp_path):
    # The validator must be able to fail: a job without runs-on or steps is not a workflow.
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x\non: push\njobs:\n  build:\n    steps: 3\n")
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run([str(checker), "--builtin-schema", "vendor.github-workflows", str(bad)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0


def _pull_command() -> str:
    """The workflow's `docker pull` line, exactly as the runner's bash gets it."""
    workflow = yaml.safe_load((REPO / ".github/workflows/gate-docker.yml").read_text())
    [run] = [step["run"] for job in workflow["jobs"].values() for step in job["steps"]
             if "docker pull" in step.get("run", "")]
    return run


def _pulled_image(run: str, cwd: Path) -> str:
    # `docker` replaced by a function that prints what it would pull.
    out = subprocess.run(["bash", "-e", "-c", 'docker() { printf "%s" "$2"; }\n' + run],
                         cwd=cwd, capture_output=True, text=True, timeout=30, check=True)
    return out.stdout


def test_docker_workflow_pulls_the_pinned_image():
    assert _pulled_image(_pull_command(), REPO) == TF_SERVING_IMAGE


def test_pull_check_sees_another_image(tmp_path):
    # The same command in a checkout whose docker/.env names another tag pulls that tag.
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / ".env").write_text("TFS_IMAGE=tensorflow/serving:0.0.1\n")
    assert _pulled_image(_pull_command(), tmp_path) == "tensorflow/serving:0.0.1" != TF_SERVING_IMAGE


def _conformance_problems(workflow: dict) -> list[str]:
    """What keeps the Docker workflow from running the conformance suite against the image."""
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    suites = [s for s in steps if "tests/tfs_compat" in s.get("run", "")]
    starts = [s for s in steps if "docker run" in s.get("run", "") and "tests.tfs_compat.models" in s["run"]]
    if len(suites) != 1 or len(starts) != 1:
        return ["no single step that starts the image on the suite's models and one that runs tests/tfs_compat"]
    suite, start = suites[0], starts[0]
    problems = [] if "tests/test_docker_assets.py" in suite["run"] else ["docker-asset tests not run"]
    env = suite.get("env", {})
    rest_port = env.get("TF_SERVING_REST_URL", "").rsplit(":", 1)[-1]
    grpc_target = env.get("TF_SERVING_GRPC_TARGET", "")
    if not rest_port or f"-p 127.0.0.1:{rest_port}:8501" not in start["run"]:
        problems.append("TF_SERVING_REST_URL is not the image's published REST port")
    if not grpc_target or f"-p {grpc_target}:8500" not in start["run"]:
        problems.append("TF_SERVING_GRPC_TARGET is not the image's published gRPC port")
    # The flags of tests/tfs_compat/conftest.py's main_server fixture.
    for flag in ("--model_config_file=/models/models.config", "--monitoring_config_file=/models/monitoring.config",
                 "--allow_version_labels_for_unavailable_models"):
        if flag not in start["run"]:
            problems.append(f"the image is not started with {flag}")
    if "exit 1" not in start["run"]:
        problems.append("waiting for the image cannot fail")
    return problems


def test_docker_workflow_runs_the_conformance_suite_against_the_image():
    workflow = yaml.safe_load((REPO / ".github/workflows/gate-docker.yml").read_text())
    assert _conformance_problems(workflow) == []


def test_conformance_check_sees_a_suite_pointed_elsewhere():
    workflow = yaml.safe_load((REPO / ".github/workflows/gate-docker.yml").read_text())
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "tests/tfs_compat" in step.get("run", ""):
                step["env"]["TF_SERVING_REST_URL"] = "http://127.0.0.1:8501"
                step["run"] = step["run"].replace("tests/test_docker_assets.py", "")
    assert len(_conformance_problems(workflow)) == 2
