"""The panel's pages as a user reaches them: by following links from the home page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urldefrag, urlsplit

from flask.testing import FlaskClient

HREF = re.compile(r'href="(/admin/[^"#]*)"')
#: Links that change something or hand over a file rather than show a page.
NOT_PAGES = re.compile(
    r"/(logout|export|download|rejects|print|data)\b|\.xlsx|/ajax/|[?&](export_type|sort|page_size)="
)


def reachable_pages(
    client: FlaskClient, start: str = "/admin/", limit: int = 80
) -> Iterator[tuple[str, str]]:
    """(url, html) of every page a user can click to from ``start``, breadth first.

    One page per path (the first link seen), so a list's thousand rows cost one visit
    per screen: its list, one details page, one edit page.
    """
    seen_paths: set[str] = set()
    queue = [start]
    while queue and len(seen_paths) < limit:
        url = urldefrag(queue.pop(0)).url.replace("&amp;", "&")
        path = urlsplit(url).path
        if path in seen_paths or NOT_PAGES.search(url):
            continue
        seen_paths.add(path)
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        yield url, html
        queue.extend(HREF.findall(html))
