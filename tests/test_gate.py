"""The gate itself: output comparison, fence checks, backend derivation, page kernels."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from docs_site import notebook
from docs_site.expand import REPO, expand
from tests.gate import backend
from tests.gate.fences import misplaced_marks, problems
from tests.gate.outputs import mismatch, rewrite, verdict_change
from tests.gate.plugin import GateFailure, PageRun, _rewrite_expected_output


# Pairs a reader calls equal.
@pytest.mark.parametrize("expected, actual, tolerance", [
    ("a 1.0\nb\n", "a 1.0\nb\n\n", None),
    ("size ... KB\n", "size 12 KB\n", None),
    ("first\n...\nlast\n", "first\nx\ny\nlast\n", None),
    ("accuracy: ~0.95\n", "accuracy: 0.96\n", {"abs": 0.03}),
    ("t ~10 ms\n", "t 11 ms\n", {"rel": 0.1}),
    ("t ~0.1\n", "t 0.5\n", {"rel": 0.1, "abs": 0.5}),
    ("loss ~0.000\n", "loss -0.001\n", {"abs": 0.01}),
    ("{'tfs-1': ~100, 'tfs-2': ~100}\n", "{'tfs-1': 99, 'tfs-2': 101}\n", {"abs": 2}),
    ("a      ~63 |\nb     100 |\n", "a     630 |\nb     100 |\n", {"rel": 10}),
    ("float32 ~2.0 / ~2.5\n", "float32 2.1 / 2.4\n", {"abs": 0.2}),
])
def test_outputs_a_reader_calls_equal(expected, actual, tolerance):
    assert mismatch(expected, actual, tolerance) is None


# Pairs a reader calls different: each one an output the gate once let through, or could have.
@pytest.mark.parametrize("expected, actual, tolerance", [
    ("a 1\n", "a 2\n", None),
    ("a\nb\n", "a\n", None),
    ("size ... KB\n", "size 12 MB\n", None),
    ("acc ~0.95\n", "loss 0.95\n", {"rel": 0.5}),
    ("t ~10 ms\n", "t 14 ms\n", {"rel": 0.1}),
    # Identifiers, dtypes, percentile names and row labels are never tolerant.
    ("{'tfs-1': ~100, 'tfs-2': ~100}\n", "{'tfs-3': 100, 'tfs-2': 100}\n", {"abs": 3}),
    ("float32 ~2.0\n", "float16 2.0\n", {"rel": 2}),
    ("rows | p50 / p90\n", "rows | p10 / p99\n", None),
    ("256 | ~47.9\n", "32 | 47.9\n", {"rel": 2}),
    # A hyphen after a letter is not a minus sign, with or without a tolerance.
    ("tfs-1 ~3\n", "tfs+1 3\n", {"abs": 5}),
    ("tfs-1 ~3\n", "tfs1 3\n", {"abs": 5}),
    # The pick_first block of the multi-instance page: one pod takes every call.
    ("pick_first (gRPC's default): {'tfs-1': 30, 'tfs-2': 0, 'tfs-3': 0}\n",
     "pick_first (gRPC's default): {'tfs-1': 27, 'tfs-2': 3, 'tfs-3': 0}\n", None),
    # A measured number is compared whole: 3.9 is not 3 followed by ".9".
    ("n ~3 ms\n", "n 3.9 ms\n", {"abs": 0.5}),
    # "..." never stands for an error, inside a line or for whole lines.
    ("result: ...\n", "result: ValueError: boom\n", None),
    ("first\n...\nlast\n", "first\nTraceback (most recent call last):\nlast\n", None),
    ("first\n...\nlast\n", "first\nRuntimeException\nlast\n", None),
    # A line of only "..." stands for at least one line.
    ("first\n...\nlast\n", "first\nlast\n", None),
])
def test_outputs_a_reader_calls_different(expected, actual, tolerance):
    assert mismatch(expected, actual, tolerance) is not None


@pytest.mark.parametrize("expected, tolerance, reason", [
    ("...\n", None, "only `...`"),
    ("\n...\n\n...\n", None, "only `...`"),
    ("accuracy: 0.95\n", {"abs": 0.03}, "no number marked as measured"),
    ("accuracy: ~0.95\n", None, "no <!--pytest.mark.tolerance"),
    ("accuracy: ~0.95\n", {"absolute": 0.03}, "rel= and abs="),
])
def test_expected_outputs_that_check_nothing_are_refused(expected, tolerance, reason):
    problem = mismatch(expected, "anything\nTraceback\naccuracy: 0.95\n", tolerance)
    assert problem is not None and reason in problem, problem


def test_only_numbers_marked_as_measured_are_tolerant():
    assert mismatch("n 100 acc ~0.95\n", "n 100 acc 0.97\n", {"abs": 0.03}) is None
    assert mismatch("n 100 acc ~0.95\n", "n 101 acc 0.95\n", {"abs": 3}) is not None
    assert "page says ~10, measured 14" in mismatch("t ~10 ms\n", "t 14 ms\n", {"rel": 0.1})


def test_aligned_columns_may_shift_only_under_a_tolerance():
    assert mismatch("a  63\n", "a 630\n") is not None


def test_update_outputs_keeps_the_marks_where_the_run_fits_them():
    page = "acc   ~0.95 on ... rows\nfirst\n...\nlast\n"
    run = "acc    0.97 on 450 rows\nfirst\nx\ny\nlast\n"
    assert rewrite(page, run) == "acc   ~0.97 on ... rows\nfirst\n...\nlast\n"
    assert mismatch(rewrite(page, run), run, {"abs": 0.01}) is None
    # A run that no longer fits the page is written as printed (the tolerance mark then
    # has no ~ number left, and the next run says so).
    assert rewrite("acc ~0.95\n", "loss 0.3\n") == "loss 0.3\n"


@pytest.mark.parametrize("page, run", [
    ("same predictions: True\n", "same predictions: False\n"),
    ("unchanged: False\nloads: True\n", "unchanged: True\nloads: True\n"),
    ("ok: True\n", "ok\n"),
])
def test_update_outputs_refuses_to_flip_a_verdict(page, run):
    assert "does not change a True/False verdict" in verdict_change(page, run)


def test_update_outputs_rewrites_measurements_next_to_an_unchanged_verdict():
    assert verdict_change("loss ~0.31, went down: True\n", "loss ~0.29, went down: True\n") is None


def test_the_refused_rewrite_leaves_the_page_as_it_was(tmp_path):
    page = tmp_path / "page.md"
    text = ("```python\nprint(x)\n```\n\n<!--pytest-codeblocks:expected-output-->\n\n"
            "```text\nsame: True\n```\n")
    page.write_text(text)
    with pytest.raises(GateFailure, match="True/False verdict"):
        _rewrite_expected_output(page, 0, "same: False\n", "same: True\n")
    assert page.read_text() == text
    _rewrite_expected_output(page, 0, "same: True (2 checks)\n", "same: True\n")
    assert "same: True (2 checks)" in page.read_text()


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
             f'  {backend.TF_SERVING_IMAGE} --enable_batching --rest_api_timeout_in_ms=5000\n')
    run = backend.parse_docker_run(block, tmp_path)
    assert (run.name, run.ports, run.env) == ("tfs", {8500: 8500, 8501: 9501}, {"MODEL_NAME": "digits"})
    server = backend.CompatibleServerBackend().server(run, tmp_path)
    # Started as the image's entrypoint starts TF Serving (MODEL_NAME, MODEL_BASE_PATH), on the host.
    assert server.command[:3] == [sys.executable, "-m", "tfs_compat.docker_entrypoint"]
    assert server.env == {"MODEL_NAME": "digits", "MODEL_BASE_PATH": f"{tmp_path}/models"}
    assert _last_wins(server.effective_flags()) == {
        "port": "8500", "rest_api_port": "9501", "model_name": "digits",
        "model_base_path": f"{tmp_path}/models/digits", "enable_batching": "true",
        "rest_api_timeout_in_ms": "5000"}


def _last_wins(flags):
    """--name=value flags as the server's flag parser reads them: the last one of a name wins."""
    return dict(flag[2:].partition("=")[::2] for flag in flags)


def test_an_unpublished_port_is_unreachable_as_in_docker(tmp_path):
    (tmp_path / "models").mkdir()
    block = f'docker run -d --name tfs -p 9500:8500 -v "$PWD/models:/models" {backend.TF_SERVING_IMAGE}'
    server = backend.CompatibleServerBackend().server(backend.parse_docker_run(block, tmp_path), tmp_path)
    flags = _last_wins(server.effective_flags())
    assert (flags["port"], flags["rest_api_port"], flags["model_name"]) == ("9500", "0", "model")


def test_models_config_paths_are_mapped_to_the_bind_mount(tmp_path):
    (tmp_path / "serving").mkdir()
    (tmp_path / "serving" / "models.config").write_text(
        'model_config_list { config { name: "a" base_path: "/models/a" model_platform: "tensorflow" } }')
    block = ('docker run -d --name tfs -p 8501:8501 --mount type=bind,source="$PWD/serving",target=/models '
             f'{backend.TF_SERVING_IMAGE} --model_config_file=/models/models.config')
    run = backend.parse_docker_run(block, tmp_path)
    server = backend.CompatibleServerBackend().server(run, tmp_path)
    config_flag = next(c for c in server.command if c.startswith("--model_config_file="))
    mapped = Path(config_flag.split("=", 1)[1]).read_text()
    assert f'base_path: "{tmp_path}/serving/a"' in mapped


def test_a_block_that_is_not_docker_run_of_tf_serving_is_refused(tmp_path):
    with pytest.raises(ValueError):
        backend.parse_docker_run("docker run -d nginx", tmp_path)
    with pytest.raises(ValueError):
        backend.parse_docker_run("docker ps", tmp_path)


def _page(*blocks: tuple[str, str]):
    """A page of the given (language, code) blocks, as the gate runs it: its notebook."""
    text = "\n".join(f"```{lang}\n{code}\n```\n" for lang, code in blocks)
    nb, cells = notebook.build(text)
    page = SimpleNamespace(key="gate-selftest", path=Path("gate-selftest.md"), fixed_ports=False, notebook=nb)
    return PageRun(page), [cell.index for cell in cells]


def test_blocks_of_a_page_share_one_namespace_and_environment():
    run, cells = _page(("python", "import os\nx = 41\nos.environ['GATE_X'] = '7'\nprint(__name__)"),
                       ("python", "print(x + 1)"), ("bash", "echo $GATE_X; ls -d snippets"))
    try:
        assert run.run_cell(cells[0], 60) == {"stdout": "__main__\n", "error": None}
        assert run.run_cell(cells[1], 60)["stdout"] == "42\n"
        assert run.run_cell(cells[2], 60)["stdout"] == "7\nsnippets\n"
    finally:
        run.close(keep=False)


def test_a_failing_block_reports_its_traceback():
    run, cells = _page(("python", "def f():\n    raise ValueError('boom')\nf()"), ("bash", "echo before\nfalse\necho after"))
    try:
        reply = run.run_cell(cells[0], 60)
        assert "ValueError: boom" in reply["error"] and "raise ValueError('boom')" in reply["error"]
        reply = run.run_cell(cells[1], 60)
        assert reply["stdout"] == "before\n" and "returned non-zero exit status 1" in reply["error"]
    finally:
        run.close(keep=False)


def test_a_block_that_hangs_is_stopped():
    run, cells = _page(("python", "import time; time.sleep(60)"))
    try:
        with pytest.raises(GateFailure, match="timed out"):
            run.run_cell(cells[0], 1)
        assert run.broken
    finally:
        run.close(keep=False)


def test_processes_a_page_leaves_behind_are_found_and_killed():
    run, cells = _page(("bash", "setsid sleep 300 >/dev/null 2>&1 &"))
    run.run_cell(cells[0], 60)
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


