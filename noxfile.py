"""Sessions: `nox -s docs` (build + preview), `nox -s snippets` (the gate), and helpers.

Every session installs pinned versions (requirements/constraints.txt) into its own
environment, so a fresh machine with Python 3.11 and pip needs nothing else.
"""

from __future__ import annotations

import nox

PYTHON = "3.11"
CONSTRAINTS = ("-c", "requirements/constraints.txt")
# uv installs TensorFlow in seconds when it is on PATH; without it nox uses virtualenv + pip,
# which is what the README promises (`nox -s lock` checks that pip installs the lock).
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["snippets"]
nox.options.reuse_existing_virtualenvs = True
LOCKED = ("requirements/gate.in",)
# The whole gate runs on one pytest-xdist worker per CPU, four at most: much of it waits (servers
# starting, load runs, browsers), so two workers finish it in about 60 % of the time on two cores.
# A page's blocks stay on one worker, in order, and pages that bind fixed ports take turns
# (tests/gate/plugin.py). With arguments (`nox -s snippets -- -k tflite`) pytest runs as asked.
WHOLE_GATE = ("-n", "logical", "--maxprocesses", "4")
# Material 9.7+ prints a notice about MkDocs 2.0 on every build.
QUIET = {"NO_MKDOCS_2_WARNING": "1"}


def _install(session: nox.Session, requirements: str) -> None:
    # Compile bytecode at install time: with PYTHONDONTWRITEBYTECODE set, every process
    # would otherwise recompile TensorFlow from source on import (~15 s of CPU each).
    session.install("-r", requirements, *CONSTRAINTS, env={"UV_COMPILE_BYTECODE": "1"})


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """Build the static site for hosting: a missing snippet, link or anchor fails it."""
    _install(session, "requirements/docs.in")
    session.run("mkdocs", "build", "--strict", *session.posargs, env=QUIET)
    session.run("python", "-m", "docs_site.page_weight", "site")


@nox.session(python=PYTHON)
def zensical(session: nox.Session) -> None:
    """Build the same mkdocs.yml with Zensical (Material's successor) into site-zensical/,
    and say exactly where it differs from the published MkDocs build."""
    _install(session, "requirements/zensical.in")
    session.run("mkdocs", "build", "--strict", "--quiet", env=QUIET)
    session.run("python", "-m", "docs_site.site_server", "zensical", "site-zensical")
    session.run("python", "-m", "docs_site.compare_builds", "site", "site-zensical")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Strict build, then a live preview on http://127.0.0.1:8000."""
    _install(session, "requirements/docs.in")
    session.run("mkdocs", "build", "--strict", env=QUIET)
    session.run("mkdocs", "serve", "--strict", "--dev-addr", "127.0.0.1:8000", *session.posargs, env=QUIET)


@nox.session(python=PYTHON)
def snippets(session: nox.Session) -> None:
    """The gate: run every code block of every page, and the compatible server's suite.

    Extra arguments go to pytest: `nox -s snippets -- -k saved_model`.
    """
    _install(session, "requirements/gate.in")
    session.run("python", "-m", "pytest", *(session.posargs or WHOLE_GATE))
    if not session.posargs:
        # The whole gate includes checkov's verdict on docker/, in an environment of its own.
        session.notify("deploy_lint")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """REST vs gRPC vs in-process latency of the compatible server (a benchmark, not a test)."""
    _install(session, "requirements/gate.in")
    session.run("python", "-m", "tests.tfs_compat.bench", *session.posargs)


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """The compatible server's fuzz suite at ten times the gate's examples, 20,000 deadline calls."""
    _install(session, "requirements/gate.in")
    session.run("python", "-m", "pytest", "tests/tfs_compat/test_fuzz.py", "-s", *session.posargs,
                env={"SERVER_FUZZ_SCALE": "10"})


@nox.session(python=PYTHON)
def deploy_lint(session: nox.Session) -> None:
    """checkov and hadolint on docker/, plus the project's rules (tests/test_deploy_policy.py).
    Its own environment: checkov pins termcolor<2.4, the TensorFlow stack needs termcolor 3."""
    session.install("-r", "requirements/deploy-lint.txt")
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", "--confcutdir", "tests",
                "tests/test_deploy_policy.py", *session.posargs)


@nox.session(python=PYTHON)
def lock(session: nox.Session) -> None:
    """Re-resolve requirements/*.in to their newest versions into requirements/constraints.txt,
    then prove that pip, which the README promises is enough, installs every pin on Python 3.11."""
    session.install("uv", "pip")  # pip too: a uv-made environment has none
    session.run("uv", "pip", "compile", "--python-version", PYTHON, "--custom-compile-command", "nox -s lock",
                "--output-file", "requirements/constraints.txt", *LOCKED)
    # uv ignores an upper bound in a dependency's Requires-Python (backports-strenum 1.3.1 says
    # <3.11); pip refuses such a pin. Pin an older release in requirements/*.in when this fails.
    session.run("python", "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed", "--no-deps",
                "-r", "requirements/constraints.txt")
