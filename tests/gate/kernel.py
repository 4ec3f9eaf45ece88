"""One page's kernel: a fresh Python process that runs the page's blocks in order.

Python blocks share one namespace (like a notebook) whose ``__name__`` is ``"__main__"``;
bash blocks run in the same working directory with the kernel's current ``os.environ``,
so a variable a Python block sets is seen by the shell blocks after it.

Protocol: one JSON request per line on ``--in-fd``, one JSON reply per line on
``--out-fd``. The kernel's own stdout/stderr go to the page log; only what a block
prints to ``sys.stdout`` (Python) or its stdout (bash) is returned for comparison.
"""

from __future__ import annotations

import argparse
import builtins
import io
import json
import linecache
import os
import subprocess
import sys
import tempfile
import traceback


def run_python(code: str, filename: str, namespace: dict) -> tuple[str, str | None]:
    # Register the source so tracebacks show the block's lines.
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    captured = io.StringIO()
    real_stdout = sys.stdout
    sys.stdout = captured
    error = None
    try:
        exec(compile(code, filename, "exec"), namespace)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            error = f"SystemExit({exc.code!r})"
    except BaseException:  # report everything, the kernel must survive a failing block
        error = traceback.format_exc()
    finally:
        sys.stdout.flush()
        sys.stdout = real_stdout
    return captured.getvalue(), error


def run_shell(code: str) -> tuple[str, str | None]:
    # Files, not pipes: a block that starts a background process (`server &`) must not
    # keep us waiting for a pipe that process holds open.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        result = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", code],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=os.environ.copy(),
        )
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    sys.stderr.write(stderr)
    if result.returncode != 0:
        return stdout, f"bash exited with status {result.returncode}\nstderr (last lines):\n{stderr[-4000:]}"
    return stdout, None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--in-fd", type=int, required=True)
    parser.add_argument("--out-fd", type=int, required=True)
    args = parser.parse_args()
    requests = os.fdopen(args.in_fd, "r")
    replies = os.fdopen(args.out_fd, "w")
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    for line in requests:
        request = json.loads(line)
        if request["op"] == "exit":
            break
        if request["lang"] == "python":
            stdout, error = run_python(request["code"], request["filename"], namespace)
        else:
            stdout, error = run_shell(request["code"])
        sys.stdout.flush()
        sys.stderr.flush()
        replies.write(json.dumps({"stdout": stdout, "error": error}) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
