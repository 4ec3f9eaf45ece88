"""Each built page's weight: its HTML plus the local CSS, JS and images it references.

Usage: python -m docs_site.page_weight SITE_DIR  (exit 1 when a page is over the limit)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

MAX_PAGE_BYTES = 1_000_000
_ASSET = re.compile(r'(?:src|href)="([^"#?]+\.(?:css|js|svg|png|jpg|jpeg|webp|gif))"')


def html_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


def page_weight(page: Path, site: Path) -> int:
    html = page.read_text()
    total = len(html.encode())
    for ref in set(_ASSET.findall(html)):
        if ref.startswith(("http:", "https:", "//")):
            continue
        asset = (page.parent / ref).resolve()
        if asset.is_file() and site.resolve() in asset.parents:
            total += asset.stat().st_size
    return total


def page_weights(site: Path) -> dict[str, int]:
    return {str(p.relative_to(site)): page_weight(p, site) for p in html_pages(site)}


def main() -> int:
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "site")
    weights = page_weights(site)
    print("page weight (HTML + local assets it references), limit 1 MB:")
    for name, size in sorted(weights.items()):
        flag = "  OVER" if size > MAX_PAGE_BYTES else ""
        print(f"  {size / 1024:8.1f} KiB  {name}{flag}")
    return 1 if any(size > MAX_PAGE_BYTES for size in weights.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
