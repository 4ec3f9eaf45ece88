"""The hosting workflows are valid GitHub Actions workflows (schema shipped with check-jsonschema)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.gate.backend import TF_SERVING_IMAGE
from tests.gate.expand import REPO

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


def test_docker_workflow_pulls_the_pinned_image():
    assert f"docker pull {TF_SERVING_IMAGE}" in (REPO / ".github/workflows/gate-docker.yml").read_text()
