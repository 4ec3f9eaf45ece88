"""Measured output is kept apart: never pinned, published from the run with its machine."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from docs_site import verified_hook
from tests.gate import verified
from tests.gate.plugin import GateFailure, _check_measured
from tests.gate.requirements import install_hint

X86 = ("processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512_vnni\n"
       "processor\t: 1\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512_vnni\n")
ARM = "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes asimddp sve i8mm\nCPU part\t: 0xd40\n"


def test_cpu_names_the_vector_extensions_on_x86_and_arm():
    assert verified.cpu(X86)["model"] == "AMD EPYC 7B13"
    assert verified.cpu(X86)["extensions"] == ["avx2", "fma", "avx512f", "avx512_vnni"]
    assert verified.cpu(ARM)["extensions"] == ["asimd", "asimddp", "i8mm", "sve"]
    assert verified.cpu("")["extensions"] == []


def _item(name, mark=None, expected=None):
    marker = SimpleNamespace(args=(mark,)) if mark else None
    return SimpleNamespace(name=name, block=SimpleNamespace(expected_output=expected),
                           get_closest_marker=lambda _: marker)


def test_a_measured_block_is_shown_once_and_never_pinned():
    _check_measured("p.md", [_item("block 01", "latency"), _item("block 02")], ["latency"])
    with pytest.raises(GateFailure, match="never pinned"):
        _check_measured("p.md", [_item("block 01", "latency", expected="| 63 |\n")], ["latency"])
    with pytest.raises(GateFailure, match="has no <!-- gate:measured latency -->"):
        _check_measured("p.md", [_item("block 01", "latency")], [])
    with pytest.raises(GateFailure, match="has no block marked"):
        _check_measured("p.md", [_item("block 01")], ["latency"])
    with pytest.raises(GateFailure, match="used by 2 blocks"):
        _check_measured("p.md", [_item("block 01", "latency"), _item("block 02", "latency")], ["latency"])
    with pytest.raises(GateFailure, match="kebab"):
        _check_measured("p.md", [_item("block 01", "Latency Table")], ["Latency Table"])


@pytest.fixture
def artifacts(tmp_path, monkeypatch):
    monkeypatch.setattr(verified, "MEASURED", tmp_path / "measured")
    monkeypatch.setattr(verified_hook, "ARTIFACTS", tmp_path)
    return tmp_path


def _page(markdown):
    page = SimpleNamespace(file=SimpleNamespace(src_path="tflite.md"))
    return verified_hook.on_page_markdown(markdown, page, None, None)


def test_the_site_shows_the_run_s_table_and_its_machine(artifacts):
    verified.keep_measured("tflite", "latency", "| variant | µs |\n|---|--:|\n| int8 | 6 |\n")
    meta = json.loads((artifacts / "measured" / "tflite" / "latency.json").read_text())
    assert meta["cpu"]["cores"] and meta["machine"] == verified.machine()
    shown = _page("Before.\n\n<!-- gate:measured latency -->\n\nAfter.\n")
    assert "| int8 | 6 |" in shown and f"on {meta['date']}: {verified.machine()}" in shown
    assert "gate:measured" not in shown
    # Not a markdown table: shown as the block printed it.
    verified.keep_measured("tflite", "flags", "x86_64, int8 dot-product instructions: none\n")
    assert "```text\nx86_64, int8 dot-product instructions: none\n```" in _page("<!-- gate:measured flags -->\n")


def test_without_a_run_the_site_says_so_and_shows_no_number(artifacts):
    verified.keep_measured("tflite", "latency", "| int8 | 6 |\n")
    verified.forget_measured("tflite", "latency")  # what the gate does before the block runs
    shown = _page("<!-- gate:measured latency -->\n")
    assert "Measurement not in this build" in shown and "| int8 | 6 |" not in shown
    # Inside a code fence the comment is an example, left alone.
    assert "<!-- gate:measured latency -->" in _page("```text\n<!-- gate:measured latency -->\n```\n")


def test_the_summary_names_the_package_and_the_install_command():
    reasons = ["Skipped: requires_nginx: nginx is not installed",
               "requires_chromium: Debian's chromium package is not installed (.ci/run installs it)",
               "requires_docker: no Docker engine reachable"]
    assert install_hint(reasons) == "sudo apt-get install -y chromium nginx   # Debian; on Ubuntu: sudo snap install chromium"
    assert install_hint(reasons[2:]) is None


def test_a_placeholder_inside_a_four_backtick_example_is_left_alone(artifacts):
    example = "````text\n```python\nx\n```\n\n<!-- gate:measured latency -->\n````\n"
    assert "<!-- gate:measured latency -->" in _page(example)


def test_the_closing_summary_lists_skips_for_a_missing_package():
    from tests.gate.plugin import _write_install_hint

    lines = []
    skipped = [SimpleNamespace(longrepr=("docs/scaling-out.md", 1, "Skipped: requires_nginx: nginx is not installed"))
               for _ in range(7)]
    skipped.append(SimpleNamespace(longrepr=("docs/x.md", 1, "Skipped: requires_gpu: no GPU")))
    reporter = SimpleNamespace(stats={"skipped": skipped}, write_line=lines.append)
    _write_install_hint(reporter)
    assert lines == ["skipped for a missing system package (README: System packages):",
                     "    7 × requires_nginx: nginx is not installed",
                     "    install them: sudo apt-get install -y nginx   # Debian and Ubuntu"]
