"""Build the site (MkDocs or Zensical) into a folder and serve it on 127.0.0.1.

Usage: python -m docs_site.site_server {mkdocs,zensical} OUT_DIR  (build only)
"""

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

from docs_site.expand import REPO

ZENSICAL_CONFIG = "INHERIT: mkdocs.yml\nsite_dir: {site_dir}\n"


def build(builder: str, out: Path) -> Path:
    """Build the site with MkDocs or Zensical into ``out`` (replaced if it exists)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    if builder == "mkdocs":
        _run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)], env, builder)
        return out
    # Zensical reads mkdocs.yml: a two-line config inherits it and only moves the output,
    # inside the project (Zensical writes nowhere else); the result is then moved to ``out``.
    config = REPO / f".zensical-{os.getpid()}.yml"
    inside = REPO / f".site-zensical-{os.getpid()}"
    config.write_text(ZENSICAL_CONFIG.format(site_dir=inside.name))
    try:
        _run([str(Path(sys.executable).parent / "zensical"), "build", "--strict", "-f", str(config)], env, builder)
        shutil.rmtree(out, ignore_errors=True)
        shutil.move(str(inside), str(out))
    finally:
        config.unlink(missing_ok=True)
        shutil.rmtree(inside, ignore_errors=True)
    return out


def _run(command: list[str], env: dict, builder: str) -> None:
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"{builder} build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


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


if __name__ == "__main__":
    build(sys.argv[1], Path(sys.argv[2]).resolve())
