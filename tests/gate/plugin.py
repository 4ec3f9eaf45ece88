"""pytest plugin: every page in the site's nav becomes a test file, every block a test.

Each page runs in a fresh kernel process of its own (tests/gate/kernel.py) inside a
temporary working directory, so one page never sees another's TensorFlow settings.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from pytest_codeblocks.main import extract_from_buffer

from . import backend as backends
from . import verified
from .expand import REPO, expand, nav_pages
from .fences import misplaced_marks, problems
from .outputs import mismatch
from .requirements import REQUIREMENTS, missing

DEFAULT_BLOCK_TIMEOUT_S = 300
# The environment as the gate started, before any test module changed os.environ: a page
# must not inherit settings another test made for itself (e.g. TF_CPP_MIN_LOG_LEVEL).
BASE_ENV = dict(os.environ)
# What a page's working directory links to, so blocks run as from the repo root.
LINKED = ("snippets", "docker")
SECTION_MARKER = re.compile(r"-{1,}8<-{1,}\s+\[(?:start|end):[a-z][-_0-9a-z]*\]")
# A load run's result line; the summary repeats it, with its counts, under the page.
LOAD_RUN = re.compile(r"\b\d+ requests\b.*\b\d+ failed\b")
KERNEL_BOOT = "import runpy, sys; runpy.run_path(sys.argv.pop(1), run_name='__main__')"


def pytest_addoption(parser):
    group = parser.getgroup("docs gate")
    group.addoption("--update-outputs", action="store_true",
                    help="rewrite expected-output fences on the pages from what the blocks printed")
    group.addoption("--keep-workdirs", action="store_true",
                    help="keep each page's temporary working directory")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # With pytest-xdist (-n 2), a page's blocks must stay on one worker, in order.
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadfile"


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".md" and file_path.resolve() in _pages():
        return PageFile.from_parent(parent, path=file_path)
    return None


def _pages() -> set[Path]:
    return {(REPO / page).resolve() if not page.is_absolute() else page.resolve() for page in nav_pages()}


class GateFailure(Exception):
    pass


class PageRun:
    """The live state of one page: its kernel, working directory and TF Serving backend."""

    def __init__(self, page: "PageFile"):
        self.page = page
        self.key = page.key
        self.tag = f"{self.key}-{uuid.uuid4().hex[:8]}"
        self.workdir = Path(tempfile.mkdtemp(prefix=f"gate-{self.key}-"))
        for name in LINKED:
            if (REPO / name).exists():
                (self.workdir / name).symlink_to(REPO / name)
        self.log_path = self.workdir / "kernel.log"
        self.port_lock = None
        if page.fixed_ports:
            # One page at a time on the fixed ports, also across pytest-xdist workers.
            self.port_lock = open(Path(tempfile.gettempdir()) / "docs-gate-fixed-ports.lock", "w")
            fcntl.flock(self.port_lock, fcntl.LOCK_EX)
        self.broken: str | None = None
        # Chosen up front so blocks can say which backend measured them (TF_SERVING_BACKEND).
        self.backend: backends.Backend | None = backends.choose_backend()
        self.failed = False
        req_r, self._req_w = os.pipe()
        self._rep_r, rep_w = os.pipe()
        env = {**BASE_ENV, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "DOCS_GATE_TAG": self.tag,
               "PYTHONUNBUFFERED": "1",
               "TF_SERVING_BACKEND": self.backend.name if self.backend else "none",
               # As in an activated virtualenv: `saved_model_cli`, `python` are the gate's own.
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{BASE_ENV.get('PATH', '')}"}
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-c", KERNEL_BOOT, str(REPO / "tests" / "gate" / "kernel.py"),
             "--in-fd", str(req_r), "--out-fd", str(rep_w)],
            pass_fds=(req_r, rep_w), cwd=self.workdir, env=env, stdin=subprocess.DEVNULL,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        os.close(req_r)
        os.close(rep_w)
        self._replies = os.fdopen(self._rep_r, "r")

    def run(self, lang: str, code: str, filename: str, timeout: float) -> dict:
        os.write(self._req_w, (json.dumps({"op": "run", "lang": lang, "code": code,
                                            "filename": filename}) + "\n").encode())
        ready, _, _ = select.select([self._replies], [], [], timeout)
        if not ready:
            self._kill()
            self.broken = f"a block timed out after {timeout:.0f} s"
            raise GateFailure(f"timed out after {timeout:.0f} s (raise it with "
                              f"<!--pytest.mark.block_timeout(seconds)-->)\n{self.log_tail()}")
        line = self._replies.readline()
        if not line:
            self.broken = "the page's kernel died"
            raise GateFailure(f"the page's kernel died (exit {self.process.wait()})\n{self.log_tail()}")
        return json.loads(line)

    def log_tail(self, size: int = 3000) -> str:
        self.log.flush()
        text = self.log_path.read_text(errors="replace")
        return f"--- last lines of {self.log_path} ---\n{text[-size:]}"

    def _kill(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue

    def close(self, keep: bool) -> list[str]:
        """Stop everything the page started; return what was still running."""
        if self.process.poll() is None:
            try:
                os.write(self._req_w, b'{"op": "exit"}\n')
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                pass
        leftovers = _tagged_processes(self.tag)
        self._kill()
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 10
        while (remaining := _tagged_processes(self.tag)) and time.monotonic() < deadline:
            for pid, _ in remaining:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        if self.backend:
            self.backend.stop()
        verified.keep_figures(self.page.path.stem, self.workdir)
        os.close(self._req_w)
        self._replies.close()
        self.log.close()
        if self.port_lock:
            self.port_lock.close()  # releases the lock
        if not keep and not self.failed:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return [f"pid {pid}: {cmd}" for pid, cmd in leftovers]


def _tagged_processes(tag: str) -> list[tuple[int, str]]:
    """Processes whose environment carries this page's tag (children inherit it)."""
    found = []
    needle = f"DOCS_GATE_TAG={tag}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                state = (entry / "stat").read_text().split(") ", 1)[1].split()[0]
                if state != "Z":
                    found.append((int(entry.name), cmd.strip()))
        except OSError:
            continue
    return found


class PageFile(pytest.File):
    def collect(self):
        self.key = self.path.stem.replace("-", "_")
        self.run_state: PageRun | None = None
        expanded = expand(self.path.read_text())
        bad = problems(expanded) + misplaced_marks(expanded)
        if bad:
            raise GateFailure(f"{self.path.name}: untested fences:\n  " + "\n  ".join(bad))
        blocks = extract_from_buffer(io.StringIO(expanded), max_num_lines=100_000)
        # Pages on the reader's fixed ports (TF Serving's 8500/8501, nginx) run one at a time.
        self.fixed_ports = "pytest.mark.tf_serving" in expanded or "pytest.mark.requires_nginx" in expanded
        self.gate_blocks = []
        output_index = 0
        number = 0
        for block in blocks:
            if block.syntax not in ("python", "bash", "sh"):
                continue
            number += 1
            item = BlockItem.from_parent(self, name=f"block {number:02d} (line {block.lineno})", block=block)
            item.expected_index = None
            if block.expected_output is not None:
                item.expected_index = output_index
                output_index += 1
            for mark in block.marks:
                item.add_marker(eval(mark, {"sys": sys, "pytest": pytest}))
            item.extra_keyword_matches.add(self.key)
            self.gate_blocks.append(item)
            yield item
        last = TeardownItem.from_parent(self, name="teardown: no process left")
        last.extra_keyword_matches.add(self.key)
        yield last

    def page_run(self) -> PageRun:
        if self.run_state is None:
            self.run_state = PageRun(self)
        return self.run_state

    def finish(self) -> list[str]:
        if self.run_state is None:
            return []
        state, self.run_state = self.run_state, None
        return state.close(keep=self.config.getoption("--keep-workdirs"))


class BlockItem(pytest.Item):
    def __init__(self, *, block, **kwargs):
        super().__init__(**kwargs)
        self.block = block
        self.user_properties.append(("gate_page", self.parent.path.name))

    def runtest(self):
        block = self.block
        for mark in self.iter_markers():
            if mark.name in REQUIREMENTS:
                reason = missing(mark.name)
                if reason:
                    pytest.skip(reason)
        if block.importorskip:
            pytest.importorskip(block.importorskip)
        page = self.parent.page_run()
        if page.broken:
            page.failed = True
            raise GateFailure(f"not run: {page.broken}")
        if self.get_closest_marker("tf_serving"):
            return self._start_backend(page)
        script = self.get_closest_marker("script")
        if script:
            return self._check_script(script.args[0])
        timeout_mark = self.get_closest_marker("block_timeout")
        timeout = float(timeout_mark.args[0]) if timeout_mark else DEFAULT_BLOCK_TIMEOUT_S
        lang = "python" if block.syntax == "python" else "bash"
        filename = f"<{self.parent.path.name} {self.name}>"
        try:
            reply = page.run(lang, block.code, filename, timeout)
        except GateFailure:
            page.failed = True
            raise
        if reply["error"]:
            page.failed = True
            page.broken = f"{self.name} failed"
            raise GateFailure(f"{reply['error']}\n--- stdout ---\n{reply['stdout'][-3000:]}")
        for line in reply["stdout"].splitlines():
            if LOAD_RUN.search(line):  # e.g. "rolling upgrade: 812 requests (REST and gRPC), 0 failed"
                self.user_properties.append(("gate_load", line.strip()))
        if block.expected_output is not None:
            self._check_output(reply["stdout"])

    def _check_script(self, path: str):
        """A script shown on the page runs in its own process, started by a later block:
        check that the page shows the file exactly, and that a later block runs it."""
        self.user_properties.append(("gate_script", path))
        if self.block.syntax != "python":
            raise GateFailure("script(...) marks a python block")
        shown = [line.rstrip() for line in self.block.code.strip("\n").split("\n")]
        source = [line.rstrip() for line in (REPO / path).read_text().strip("\n").split("\n")
                  if not SECTION_MARKER.search(line)]
        if shown != source:
            raise GateFailure(f"the block does not show {path} as it is")
        siblings = [item for item in self.parent.gate_blocks if isinstance(item, BlockItem)]
        later = siblings[siblings.index(self) + 1:]
        runner = re.compile(rf"\bpython3?\s+(?:-u\s+)?{re.escape(path)}\b")
        if not any(runner.search(item.block.code) for item in later):
            raise GateFailure(f"no later block on the page runs `python {path}`")

    def _start_backend(self, page: PageRun):
        if page.backend is None:
            pytest.skip("no TF Serving backend")
        self.user_properties.append(("gate_backend", page.backend.name))
        try:
            page.backend.start(self.block.code, page.workdir)
        except Exception as exc:
            page.failed = True
            page.broken = "the TF Serving backend did not start"
            raise GateFailure(f"{page.backend.name} did not start: {exc}") from exc

    def _check_output(self, stdout: str):
        tolerance_mark = self.get_closest_marker("tolerance")
        tolerance = dict(tolerance_mark.kwargs) if tolerance_mark else None
        if self.config.getoption("--update-outputs"):
            # Rewrite whenever the text differs, also within tolerance: the page then shows this run.
            if mismatch(self.block.expected_output, stdout) is not None:
                _rewrite_expected_output(self.parent.path, self.expected_index, stdout)
            return
        problem = mismatch(self.block.expected_output, stdout, tolerance,
                           self.block.expected_output_ignore_whitespace)
        if problem is None:
            return
        self.parent.page_run().failed = True
        raise GateFailure(f"{problem}\n--- the page shows ---\n{self.block.expected_output}"
                          f"--- the block printed ---\n{stdout}")

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, GateFailure):
            return f"{self.parent.path.name}, {self.name}:\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.block.lineno, f"{self.parent.path.name}::{self.name}"


class TeardownItem(pytest.Item):
    """Stops what the page started, and fails if the page left a process running."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.user_properties.append(("gate_page", self.parent.path.name))

    def runtest(self):
        leftovers = self.parent.finish()
        if leftovers:
            raise GateFailure("the page left processes running (the gate killed them):\n  "
                              + "\n  ".join(leftovers))

    def repr_failure(self, excinfo):
        return f"{self.parent.path.name}: {excinfo.value}"

    def reportinfo(self):
        return self.path, 0, f"{self.parent.path.name}::{self.name}"


def _rewrite_expected_output(page: Path, index: int, stdout: str) -> None:
    """Replace the index-th expected-output fence of the page source with stdout."""
    lines = page.read_text().split("\n")
    seen = -1
    for i, line in enumerate(lines):
        if re.match(r"\s*<!--[-\s]*pytest-codeblocks:expected-output", line):
            seen += 1
            if seen != index:
                continue
            start = next(j for j in range(i + 1, len(lines)) if lines[j].strip().startswith("```"))
            indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
            end = next(j for j in range(start + 1, len(lines)) if lines[j].strip().startswith("```"))
            include = re.fullmatch(r'--8<-- "([^":]+)"', "".join(lines[start + 1:end]).strip())
            if include:
                # The output is kept in a file the page includes (e.g. a table shown twice).
                (REPO / include.group(1)).write_text(stdout)
                return
            body = [indent + out if out else out for out in stdout.rstrip("\n").split("\n")]
            lines[start + 1:end] = body
            page.write_text("\n".join(lines))
            return


_stats: dict[str, dict] = defaultdict(lambda: {"blocks": 0, "passed": 0, "failed": 0,
                                               "skipped": defaultdict(int), "seconds": 0.0,
                                               "backend": None})


def pytest_runtest_logreport(report):
    props = dict(report.user_properties)
    page = props.get("gate_page")
    if not page:
        return
    stats = _stats[page]
    stats["seconds"] += report.duration
    if props.get("gate_backend"):
        stats["backend"] = props["gate_backend"]
    for name, value in report.user_properties:
        if name == "gate_load" and report.when == "call":
            stats.setdefault("load_runs", []).append(value)
    is_block = "teardown: no process left" not in report.nodeid
    if report.when == "call" and report.passed and is_block:
        stats["blocks"] += 1
        stats["passed"] += 1
        if props.get("gate_script"):
            stats["scripts"] = stats.get("scripts", 0) + 1
    elif report.failed:
        stats["failed"] += 1
        if is_block and report.when == "call":
            stats["blocks"] += 1
    elif report.skipped and is_block:
        stats["blocks"] += 1
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        stats["skipped"][reason.removeprefix("Skipped: ")] += 1


def pytest_terminal_summary(terminalreporter):
    if not _stats:
        return
    write = terminalreporter.write_line
    terminalreporter.section("docs gate: one line per page")
    backends_used = sorted({s["backend"] for s in _stats.values() if s["backend"]})
    write(f"TF Serving backend: {', '.join(backends_used) or 'none started'}")
    write(f"machine: {verified.machine()}")
    for page, s in sorted(_stats.items()):
        skipped = sum(s["skipped"].values())
        reasons = "; ".join(f"{n} × {r}" for r, n in sorted(s["skipped"].items()))
        scripts = f" (of which {s['scripts']} shown scripts run by a later block)" if s.get("scripts") else ""
        write(f"{page}: {s['blocks']} blocks, {s['passed']} passed{scripts}, {s['failed']} failed, "
              f"{skipped} skipped{f' ({reasons})' if reasons else ''}, {s['seconds']:.1f} s")
        for run in s.get("load_runs", []):
            write(f"    load run: {run}")


def pytest_sessionfinish(session):
    # Safety net: a page interrupted mid-way still stops its kernel and backend.
    for item in session.items:
        if isinstance(item.parent, PageFile):
            item.parent.finish()
    if _stats and not hasattr(session.config, "workerinput"):
        pages = {page: {**s, "skipped": dict(s["skipped"])} for page, s in _stats.items()}
        verified.write(pages)
