"""Build the site (MkDocs or Zensical) into a folder and serve it on 127.0.0.1."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.gate.expand import REPO

ZENSICAL_CONFIG = "INHERIT: mkdocs.yml\nsite_dir: {site_dir}\n"


def build(builder: str, out: Path) -> Path:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    if builder == "mkdocs":
        command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)]
    else:
        # Zensical reads mkdocs.yml; a two-line config inherits it and only moves the output.
        # Zensical only writes inside the project, so build there and move the result out.
        config = REPO / f".zensical-{os.getpid()}.yml"
        inside = REPO / f".site-zensical-{os.getpid()}"
        config.write_text(ZENSICAL_CONFIG.format(site_dir=inside.name))
        command = [str(Path(sys.executable).parent / "zensical"), "build", "--strict", "-f", str(config)]
    result = None
    try:
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    finally:
        if builder != "mkdocs":
            config.unlink(missing_ok=True)
            if result.returncode == 0:
                shutil.move(str(inside), str(out))
            shutil.rmtree(inside, ignore_errors=True)
    if result.returncode != 0:
        raise RuntimeError(f"{builder} build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return out


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serve(directory: Path):
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
