"""pytest plugin: every page in the site's nav becomes a test file, every block a test.

Each page runs as its notebook (docs_site/notebook.py) on a fresh ipykernel kernel of its own, inside a
temporary working directory, so one page never sees another's TensorFlow settings.
"""

from __future__ import annotations

import fcntl
import io
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from pytest_codeblocks.main import extract_from_buffer

from docs_site import notebook
from docs_site.expand import REPO, expand, nav_pages
from docs_site.verified_hook import MEASURED, _outside_fences

from . import backend as backends
from . import verified
from .fences import misplaced_marks, problems
from .notebook_kernel import CellTimedOut, KernelDied, NotebookKernel
from .outputs import mismatch, rewrite, verdict_change
from .requirements import REQUIREMENTS, install_hint, missing

DEFAULT_BLOCK_TIMEOUT_S = 300
# The environment as the gate started, before any test module changed os.environ: a page
# must not inherit settings another test made for itself (e.g. TF_CPP_MIN_LOG_LEVEL).
BASE_ENV = dict(os.environ)
# What a page's working directory links to, so blocks run as from the repo root.
LINKED = ("snippets", "docker", "tfs_compat")  # what a reader has in a clone of the repository
SECTION_MARKER = re.compile(r"-{1,}8<-{1,}\s+\[(?:start|end):[a-z][-_0-9a-z]*\]")
# A load run's result line; the summary repeats it, with its counts, under the page.
LOAD_RUN = re.compile(r"\b\d+ requests\b.*\b\d+ failed\b")


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


def pytest_collection_modifyitems(config, items):
    """`-k <page>`, a page's name (docs/<page>.md, snippets/<page>/), selects exactly that page's
    blocks, not every test whose name happens to contain the word."""
    keyword = config.getoption("keyword")
    if keyword not in {page.stem for page in nav_pages()}:
        return
    kept = [item for item in items if isinstance(item.parent, PageFile) and item.parent.path.stem == keyword]
    dropped = [item for item in items if item not in kept]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


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
        self.failed = False
        try:
            self._start(page)
        except BaseException:
            # Never keep the fixed ports' lock for a page that could not start: the page's next
            # block, or the next page, would wait on it for ever.
            if self.port_lock:
                self.port_lock.close()
            raise

    def _start(self, page: "PageFile") -> None:
        # Chosen up front so blocks can say which backend measured them (TF_SERVING_BACKEND).
        self.backend: backends.Backend | None = backends.choose_backend()
        self.log = open(self.log_path, "wb")
        env = {**BASE_ENV, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "DOCS_GATE_TAG": self.tag,
               "PYTHONUNBUFFERED": "1",
               "TF_SERVING_BACKEND": self.backend.name if self.backend else "none",
               # As in an activated virtualenv: `saved_model_cli`, `python` are the gate's own.
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{BASE_ENV.get('PATH', '')}"}
        # The page's notebook, the one the site offers for download, on a kernel of its own.
        self.kernel = NotebookKernel(page.notebook, self.workdir, env, self.log)

    def run_cell(self, index: int, timeout: float) -> dict:
        try:
            return self.kernel.run_cell(index, timeout)
        except CellTimedOut:
            self._kill()
            self.broken = f"a block timed out after {timeout:.0f} s"
            raise GateFailure(f"timed out after {timeout:.0f} s (raise it with "
                              f"<!--pytest.mark.block_timeout(seconds)-->)\n{self.log_tail()}")
        except KernelDied:
            self.broken = "the page's kernel died"
            raise GateFailure(f"the page's kernel died\n{self.log_tail()}")

    def log_tail(self, size: int = 3000) -> str:
        self.log.flush()
        text = self.log_path.read_text(errors="replace")
        return f"--- last lines of {self.log_path} ---\n{text[-size:]}"

    def _kill(self) -> None:
        pid = self.kernel.pid
        if pid is not None:
            try:
                os.killpg(pid, signal.SIGKILL)  # the kernel runs in a session of its own
            except ProcessLookupError:
                pass
        self.kernel.shutdown()

    def close(self, keep: bool) -> list[str]:
        """Stop everything the page started; return what was still running."""
        # What the page left running, before the kernel (which started it) is stopped.
        leftovers = [(pid, cmd) for pid, cmd in _tagged_processes(self.tag) if pid != self.kernel.pid]
        self.kernel.shutdown()
        self._kill()
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


_open_page: "PageFile | None" = None  # the page whose kernel is running in this process


class PageFile(pytest.File):
    def collect(self):
        self.key = self.path.stem  # one name: docs/<key>.md, snippets/<key>/, `-k <key>`
        self.run_state: PageRun | None = None
        self.start_error: str | None = None
        expanded = expand(self.path.read_text())
        bad = problems(expanded) + misplaced_marks(expanded)
        if bad:
            raise GateFailure(f"{self.path.name}: untested fences:\n  " + "\n  ".join(bad))
        blocks = extract_from_buffer(io.StringIO(expanded), max_num_lines=100_000)
        # Pages on the reader's fixed ports (TF Serving's 8500/8501, nginx) run one at a time.
        self.fixed_ports = "pytest.mark.tf_serving" in expanded or "pytest.mark.requires_nginx" in expanded
        self.gate_blocks = []
        output_index = 0
        blocks = [block for block in blocks if block.syntax in ("python", "bash", "sh")]
        # The page's notebook is what runs: one code cell per block, in page order.
        self.notebook, cells = notebook.build(expanded)
        where = _page_places(self.path, len(cells))
        if [(c.code, c.lineno) for c in cells] != [(b.code, b.lineno) for b in blocks]:
            raise GateFailure(f"{self.path.name}: the notebook's code cells differ from the page's blocks")
        for number, (block, cell) in enumerate(zip(blocks, cells), start=1):
            item = BlockItem.from_parent(self, name=f"block {number:02d} ({where[number - 1]})", block=block)
            item.cell = cell
            item.expected_index = None
            if block.expected_output is not None:
                item.expected_index = output_index
                output_index += 1
            for mark in block.marks:
                item.add_marker(eval(mark, {"sys": sys, "pytest": pytest}))
            item.extra_keyword_matches.add(self.key)
            self.gate_blocks.append(item)
        placed: list[str] = []  # gate:measured lines outside code fences (inside, they are examples)
        _outside_fences(expanded, lambda text: placed.extend(MEASURED.findall(text)) or text)
        _check_measured(self.path.name, self.gate_blocks, placed)
        yield from self.gate_blocks
        last = TeardownItem.from_parent(self, name="teardown: no process left")
        last.extra_keyword_matches.add(self.key)
        yield last

    def page_run(self) -> PageRun:
        if self.start_error is not None:
            raise GateFailure(f"not run: the page's kernel did not start ({self.start_error})")
        if self.run_state is None:
            global _open_page
            if _open_page is not None and _open_page is not self:
                # A page starts only when the one before is done; its teardown may have been
                # deselected (`-k`), and its fixed ports' lock would then block this page for ever.
                _open_page.finish()
            _open_page = self
            try:
                self.run_state = PageRun(self)
            except Exception as exc:  # reported once; the page's other blocks say "not run"
                self.start_error = f"{type(exc).__name__}: {exc}"
                raise GateFailure(f"the page's kernel did not start: {self.start_error}") from exc
        return self.run_state

    def finish(self) -> list[str]:
        if self.run_state is None:
            return []
        state, self.run_state = self.run_state, None
        return state.close(keep=self.config.getoption("--keep-workdirs"))


def _page_places(page: Path, count: int) -> list[str]:
    """Where each block stands in the page's own source: its line, and the snippet sections
    it includes (a block's line in the expanded page says little in a long page)."""
    _, raw_cells = notebook.build(page.read_text())
    if len(raw_cells) != count:  # an included file brought fences of its own: say less
        return [f"{page.name}" for _ in range(count)]
    places = []
    for cell in raw_cells:
        includes = re.findall(r'--8<--\s+"([^"]+)"', cell.code)
        places.append(f"{page.name} line {cell.lineno}" + (f", {', '.join(includes)}" if includes else ""))
    return places


def _check_measured(page: str, items: list, placed: list[str]) -> None:
    """A measured block never pins its output, and the page places each measured table once."""
    marked = []
    for item in items:
        mark = item.get_closest_marker("measured")
        if mark is None:
            continue
        if len(mark.args) != 1 or not isinstance(mark.args[0], str) or not MEASURED.fullmatch(
                f"<!-- gate:measured {mark.args[0]} -->"):
            raise GateFailure(f"{page}, {item.name}: measured(...) takes one lower-case kebab name")
        if item.block.expected_output is not None:
            raise GateFailure(f"{page}, {item.name}: a measured block's output depends on the machine and is "
                              f"never pinned; show it with <!-- gate:measured {mark.args[0]} --> and check "
                              "what the page concludes from it with named claims")
        marked.append(mark.args[0])
    problems_found = [f"measured({name!r}) is used by {marked.count(name)} blocks" for name in set(marked)
                      if marked.count(name) > 1]
    problems_found += [f"measured({name!r}) has no <!-- gate:measured {name} --> to show it" for name in marked
                       if name not in placed]
    problems_found += [f"<!-- gate:measured {name} --> appears {placed.count(name)} times" for name in set(placed)
                       if placed.count(name) > 1]
    problems_found += [f"<!-- gate:measured {name} --> has no block marked measured({name!r})" for name in placed
                       if name not in marked]
    if problems_found:
        raise GateFailure(f"{page}: " + "; ".join(sorted(problems_found)))


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
        measured = self.get_closest_marker("measured")
        if measured:
            verified.forget_measured(self.parent.path.stem, measured.args[0])
        try:
            reply = page.run_cell(self.cell.index, timeout)
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
        if measured:
            # measured("name", backend=True): the numbers are the TF Serving backend's too; say which.
            against = page.backend.name if measured.kwargs.get("backend") and page.backend else None
            verified.keep_measured(self.parent.path.stem, measured.args[0], reply["stdout"], against)
            self.user_properties.append(("gate_measured", measured.args[0]))
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
            # Rewrite whenever the text differs, also within tolerance: the page then shows this
            # run (keeping its ~ marks and `...`), unless a True/False verdict would change.
            _rewrite_expected_output(self.parent.path, self.expected_index, stdout,
                                     self.block.expected_output)
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


def _rewrite_expected_output(page: Path, index: int, stdout: str, expected: str) -> None:
    """Replace the index-th expected-output fence of the page source with what the block
    printed (``outputs.rewrite`` keeps the page's ~ marks and ``...``). A run whose True/False
    verdicts differ from the page's is refused: that is a finding to fix, not a measurement."""
    new = rewrite(expected, stdout)
    if new.strip("\n") == expected.strip("\n"):
        return
    flipped = verdict_change(expected, new)
    if flipped:
        raise GateFailure(f"{page.name}: {flipped}")
    stdout = new
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
        if name == "gate_measured" and report.when == "call" and report.passed:
            stats.setdefault("measured", []).append(value)
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
        _write_install_hint(terminalreporter)
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
        if s.get("measured"):
            write(f"    measured on this machine (gate-artifacts/measured/): {', '.join(s['measured'])}")
    _write_install_hint(terminalreporter)


def _write_install_hint(terminalreporter) -> None:
    """Name the tests skipped for a missing system package, and the command that installs it."""
    skipped = [report for report in terminalreporter.stats.get("skipped", [])
               if isinstance(report.longrepr, tuple)]
    reasons = [report.longrepr[2] for report in skipped]
    hint = install_hint(reasons)
    if hint is None:
        return
    counts = defaultdict(int)
    for reason in reasons:
        if install_hint([reason]):
            counts[reason.removeprefix("Skipped: ")] += 1
    terminalreporter.write_line("skipped for a missing system package (README: System packages):")
    for reason, n in sorted(counts.items()):
        terminalreporter.write_line(f"    {n} × {reason}")
    terminalreporter.write_line(f"    install them: {hint}")


def pytest_sessionfinish(session):
    # Safety net: a page interrupted mid-way still stops its kernel and backend.
    for item in session.items:
        if isinstance(item.parent, PageFile):
            item.parent.finish()
    if _stats and not hasattr(session.config, "workerinput"):
        pages = {page: {**s, "skipped": dict(s["skipped"])} for page, s in _stats.items()}
        verified.write(pages)
