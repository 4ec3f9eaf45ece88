"""Run a page's notebook cell by cell on an ipykernel kernel, with nbclient.

The gate executes the very notebook the site offers for download (docs_site/notebook.py),
one cell per test, so a failing cell is one failing test and the rest of the page is
reported as not run. The kernel is a fresh process per page, in the page's working
directory, with the page's environment; its own stdout and stderr (and what child
processes write there) go to the page's log, as a terminal's would.
"""

from __future__ import annotations

import re

from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class KernelDied(Exception):
    pass


class CellTimedOut(Exception):
    pass


class NotebookKernel:
    def __init__(self, notebook, workdir, env: dict, log):
        self.notebook = notebook
        self.log = log
        self.client = NotebookClient(
            notebook, kernel_name="python3", allow_errors=True, record_timing=False,
            resources={"metadata": {"path": str(workdir)}},
            # Child processes' output stays out of the compared stdout, as in a terminal:
            # only what a cell prints itself is compared with the page.
            extra_arguments=["--IPKernelApp.capture_fd_output=False"])
        self.client.km = self.client.create_kernel_manager()
        self.client.start_new_kernel(env=env, stdout=log, stderr=log)
        self.client.start_new_kernel_client()
        for index, cell in enumerate(notebook.cells):
            if cell.metadata.get("gate_setup"):
                reply = self.run_cell(index, timeout=60)
                if reply["error"]:
                    raise KernelDied(f"the notebook's setup cell failed:\n{reply['error']}")

    @property
    def pid(self) -> int | None:
        provisioner = getattr(self.client.km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        return process.pid if process is not None else None

    def run_cell(self, index: int, timeout: float) -> dict:
        """Execute cell `index`; return its stdout and, if it raised, the error text."""
        cell = self.notebook.cells[index]
        self.client.timeout = timeout
        try:
            self.client.execute_cell(cell, index)
        except CellTimeoutError as exc:
            raise CellTimedOut(str(exc)) from exc
        except DeadKernelError as exc:
            raise KernelDied(str(exc)) from exc
        except CellExecutionError as exc:  # only when allow_errors is off; kept for safety
            return {"stdout": _stream(cell, "stdout"), "error": ANSI.sub("", str(exc))}
        stderr = _stream(cell, "stderr")
        if stderr:
            self.log.write(stderr.encode(errors="replace"))
            self.log.flush()
        errors = [out for out in cell.outputs if out.output_type == "error"]
        error = None
        if errors:
            error = ANSI.sub("", "\n".join(errors[0].traceback)) or f"{errors[0].ename}: {errors[0].evalue}"
        return {"stdout": _stream(cell, "stdout"), "error": error}

    def shutdown(self) -> None:
        try:
            if self.client.kc is not None:
                self.client.kc.stop_channels()
            run_sync(self.client.km.shutdown_kernel)(now=True)
        except Exception:  # the page's teardown kills what is left by process group
            pass


def _stream(cell, name: str) -> str:
    return "".join(out.text for out in cell.outputs if out.output_type == "stream" and out.name == name)
