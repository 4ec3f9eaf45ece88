"""The gate itself: output comparison, fence checks, backend derivation, page kernels."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.gate import backend
from tests.gate.expand import REPO, expand
from tests.gate.fences import misplaced_marks, problems
from tests.gate.outputs import mismatch
from tests.gate.plugin import GateFailure, PageRun


@pytest.mark.parametrize("expected, actual", [
    ("a 1.0\nb\n", "a 1.0\nb\n\n"),
    ("size ... KB\n", "size 12 KB\n"),
    ("first\n...\nlast\n", "first\nx\ny\nlast\n"),
    ("first\n...\nlast\n", "first\nlast\n"),
])
def test_matching_outputs(expected, actual):
    assert mismatch(expected, actual) is None


@pytest.mark.parametrize("expected, actual", [
    ("a 1\n", "a 2\n"),
    ("a\nb\n", "a\n"),
    ("size ... KB\n", "size 12 MB\n"),
])
def test_differing_outputs(expected, actual):
    assert mismatch(expected, actual) is not None


def test_tolerance_is_relative_or_absolute_whichever_is_larger():
    assert mismatch("acc 0.95 t 10 ms\n", "acc 0.94 t 11 ms\n", {"rel": 0.1}) is None
    assert "page says 10" in mismatch("acc 0.95 t 10 ms\n", "acc 0.95 t 14 ms\n", {"rel": 0.1})
    assert mismatch("t 0.1\n", "t 0.5\n", {"rel": 0.1, "abs": 0.5}) is None
    # Text around the numbers is still compared exactly.
    assert mismatch("acc 0.95\n", "loss 0.95\n", {"rel": 0.5}) is not None


def test_fences_that_would_go_untested_are_refused():
    page = "```py\nx\n```\n```python title=\"a.py\"\nx\n```\n```console\n$ ls\n```\n```rust\nfn\n```\n"
    found = problems(page)
    assert len(found) == 4, found
    assert problems("```python\nx\n```\n```text\nout\n```\n````text\n```python\n````\n") == []


def test_every_page_expands_like_the_site():
    for page in (REPO / "docs").glob("*.md"):
        source = page.read_text()
        # An escaped directive (;--8<--) is shown as text on purpose.
        left = [line for line in expand(source).split("\n")
                if line.lstrip().startswith("--8<--") and ";" + line.strip() not in source]
        assert not left, f"{page.name}: unexpanded includes {left}"


def test_docker_run_becomes_the_same_compatible_server_invocation(tmp_path):
    (tmp_path / "models").mkdir()
    block = ('docker run -d --rm --name tfs -p 8500:8500 -p 9501:8501 \\\n'
             '  -v "$PWD/models:/models" -e MODEL_NAME=digits \\\n'
             '  tensorflow/serving:2.20.0 --enable_batching --rest_api_timeout_in_ms=5000\n')
    run = backend.parse_docker_run(block, tmp_path)
    assert (run.name, run.ports, run.env) == ("tfs", {8500: 8500, 8501: 9501}, {"MODEL_NAME": "digits"})
    command = backend.CompatibleServerBackend().command(run, tmp_path)
    assert command[:3] == [sys.executable, "-m", "tests.model_server"]
    assert set(command[3:]) == {
        "--port=8500", "--rest_api_port=9501", "--model_name=digits",
        f"--model_base_path={tmp_path}/models/digits", "--enable_batching=true",
        "--rest_api_timeout_in_ms=5000"}


def test_models_config_paths_are_mapped_to_the_bind_mount(tmp_path):
    (tmp_path / "serving").mkdir()
    (tmp_path / "serving" / "models.config").write_text(
        'model_config_list { config { name: "a" base_path: "/models/a" model_platform: "tensorflow" } }')
    block = ('docker run -d --name tfs -p 8501:8501 --mount type=bind,source="$PWD/serving",target=/models '
             'tensorflow/serving:2.20.0 --model_config_file=/models/models.config')
    run = backend.parse_docker_run(block, tmp_path)
    command = backend.CompatibleServerBackend().command(run, tmp_path)
    config_flag = next(c for c in command if c.startswith("--model_config_file="))
    mapped = Path(config_flag.split("=", 1)[1]).read_text()
    assert f'base_path: "{tmp_path}/serving/a"' in mapped


def test_a_block_that_is_not_docker_run_of_tf_serving_is_refused(tmp_path):
    with pytest.raises(ValueError):
        backend.parse_docker_run("docker run -d nginx", tmp_path)
    with pytest.raises(ValueError):
        backend.parse_docker_run("docker ps", tmp_path)


@pytest.fixture
def page_run():
    fake_page = SimpleNamespace(key="gate_selftest", path=Path("gate-selftest.md"), fixed_ports=False)
    run = PageRun(fake_page)
    yield run
    run.close(keep=False)


def test_blocks_of_a_page_share_one_namespace_and_environment(page_run):
    first = page_run.run("python", "import os\nx = 41\nos.environ['GATE_X'] = '7'\nprint(__name__)", "<a>", 60)
    assert first == {"stdout": "__main__\n", "error": None}
    assert page_run.run("python", "print(x + 1)", "<b>", 60)["stdout"] == "42\n"
    assert page_run.run("bash", "echo $GATE_X; ls -d snippets", "<c>", 60)["stdout"] == "7\nsnippets\n"


def test_a_failing_block_reports_its_traceback(page_run):
    reply = page_run.run("python", "def f():\n    raise ValueError('boom')\nf()", "<page block 3>", 60)
    assert "ValueError: boom" in reply["error"] and "<page block 3>" in reply["error"]
    assert "bash exited with status 3" in page_run.run("bash", "exit 3", "<d>", 60)["error"]


def test_a_block_that_hangs_is_stopped(page_run):
    with pytest.raises(GateFailure, match="timed out"):
        page_run.run("python", "import time; time.sleep(60)", "<e>", 1)
    assert page_run.broken


def test_processes_a_page_leaves_behind_are_found_and_killed():
    run = PageRun(SimpleNamespace(key="gate_selftest", path=Path("gate-selftest.md"), fixed_ports=False))
    run.run("bash", "setsid sleep 300 >/dev/null 2>&1 &", "<f>", 60)
    from tests.gate.plugin import _tagged_processes
    deadline = time.monotonic() + 10  # the background process may still be starting
    while not any("sleep 300" in cmd for _, cmd in _tagged_processes(run.tag)) and time.monotonic() < deadline:
        time.sleep(0.1)
    leftovers = run.close(keep=False)
    assert any("sleep 300" in leftover for leftover in leftovers), leftovers
    assert _tagged_processes(run.tag) == []


def test_a_marker_between_a_block_and_its_output_is_refused():
    page = ("```python\nprint(1)\n```\n\n<!--pytest.mark.tolerance(rel=0.1)-->\n"
            "<!--pytest-codeblocks:expected-output-->\n\n```text\n1\n```\n")
    assert len(misplaced_marks(page)) == 1
    assert misplaced_marks(page.replace("<!--pytest.mark.tolerance(rel=0.1)-->\n", "")) == []


def test_aligned_columns_may_shift_under_a_tolerance():
    assert mismatch("a      63 |\nb     100 |\n", "a     630 |\nb     100 |\n", {"rel": 10}) is None
    assert mismatch("a  63\n", "a 630\n") is not None
