"""The site as readers meet it: headless Chromium (Debian's package) driven by Playwright.

Both builds are visited: MkDocs (the published one) and Zensical (its successor).
Screenshots land in gate-artifacts/screenshots/<builder>/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from docs_site.site_server import build, serve
from docs_site.expand import REPO, nav_pages

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling Google's hosts.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("GATE_ARTIFACTS", REPO / "gate-artifacts")) / "screenshots"
# A term a reader would search for, and the page search must offer for it.
SEARCH_TERMS = {
    "saved-model": "saved_model_cli",
    "tf-serving": "version_labels",
    "scaling-out": "nginx",
    "grpc-vs-rest": "protobuf",
    "tflite": "ai_edge_litert",
    # Not "quantization-aware": Material's search reads a leading "-" as "without".
    "quantization-aware-training": "quantize_apply",
    "parallelism": "pipeline parallelism",
    "distribution-strategies": "MultiWorkerMirroredStrategy",
}
PAGES = [page.stem for page in nav_pages()]

if not os.path.exists(CHROMIUM):
    pytest.skip("requires_chromium: Chromium is not installed (the README's 'System packages' says how)",
                allow_module_level=True)
import playwright.sync_api as playwright_api  # noqa: E402  (locked in requirements: an import error is a failure)


@pytest.fixture(scope="module", params=["mkdocs", "zensical"])
def site(request, tmp_path_factory):
    out = build(request.param, tmp_path_factory.mktemp(request.param) / "site")
    with serve(out) as base_url:
        yield request.param, base_url


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page_of(site, browser):
    """Open a page and record console errors and every request it makes."""
    builder, base_url = site
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    opened = []

    def open_page(stem: str):
        page = context.new_page()
        page.errors, page.requests = [], []
        page.on("console", lambda msg: msg.type == "error" and page.errors.append(msg.text))
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on("request", lambda req: page.requests.append(req.url))
        url = f"{base_url}/" if stem == "index" else f"{base_url}/{stem}/"
        response = page.goto(url, wait_until="networkidle")
        assert response and response.ok, f"{url}: {response and response.status}"
        opened.append(page)
        return page

    yield open_page
    context.close()


def _local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("data", "blob", "about") or parsed.hostname == "127.0.0.1"


@pytest.mark.parametrize("stem", PAGES)
def test_page_renders_without_errors_or_outside_requests(site, page_of, stem):
    page = page_of(stem)
    assert page.locator("article h1").first.is_visible()
    assert not page.errors, page.errors
    outside = [u for u in page.requests if not _local(u)]
    assert not outside, f"requests left 127.0.0.1: {outside}"
    shot = ARTIFACTS / site[0] / f"{stem}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize("stem", sorted(SEARCH_TERMS))
def test_search_finds_the_page_by_a_key_term(page_of, stem):
    page = page_of("index")
    # Material shows the search field in the header; Zensical opens it from a button.
    opener = page.locator("input.md-search__input, button.md-search__button").first
    opener.click()
    # Typed, as a reader does: the search worker answers key events, not a programmatic fill.
    page.keyboard.type(SEARCH_TERMS[stem], delay=20)
    hrefs: list[str] = []
    for _ in range(60):  # results render in batches: poll up to 15 s
        # Result links carry the query for highlighting (?h=...), in both builds.
        hrefs = page.eval_on_selector_all("a[href*='?h=']", "els => els.map(e => e.href)")
        if any(f"/{stem}/" in href for href in hrefs):
            return
        page.wait_for_timeout(250)
    pytest.fail(f"searching {SEARCH_TERMS[stem]!r} did not offer {stem}: {hrefs}")


def test_content_tabs_switch(page_of):
    with_tabs = [stem for stem in PAGES if "=== \"" in (REPO / "docs" / f"{stem}.md").read_text()]
    assert with_tabs, "no page uses content tabs"
    page = page_of(with_tabs[0])
    tabs = page.locator(".tabbed-set").first
    labels = tabs.locator(".tabbed-labels > label")
    assert labels.count() >= 2
    blocks = tabs.locator(".tabbed-content > .tabbed-block")
    assert blocks.nth(0).is_visible() and not blocks.nth(1).is_visible()
    labels.nth(1).click()
    assert blocks.nth(1).is_visible() and not blocks.nth(0).is_visible()


def test_copy_button_copies_the_code(page_of):
    page = page_of("saved-model")
    button = page.locator("button[data-md-type='copy']").nth(1)
    target = button.get_attribute("data-clipboard-target")  # e.g. "#__code_1 > code"
    shown = page.locator(target).inner_text()
    button.scroll_into_view_if_needed()
    button.click(force=True)  # the button shows on hover; a reader's click is what counts
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() and copied.strip() == shown.strip()


def test_light_dark_toggle(page_of):
    page = page_of("index")
    scheme = lambda: page.evaluate("document.body.getAttribute('data-md-color-scheme')")  # noqa: E731
    before = scheme()
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    after = scheme()
    assert {before, after} == {"default", "slate"}, (before, after)
