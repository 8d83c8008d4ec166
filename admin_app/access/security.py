"""Response headers every answer of the panel carries (等保 2.0 level 2, issue 11 item 12).

- **Content-Security-Policy**: scripts only from the panel itself, or inline blocks that
  carry this response's nonce (Flask-Admin 2 puts ``csp_nonce_generator``'s value on its
  own ``<script>`` tags). No inline event handlers: the templates use ``data-`` attributes
  that ``static/panel.js`` handles. ``style-src`` allows ``'unsafe-inline'``: select2,
  x-editable and Bootstrap's dropdowns write ``style=""`` attributes into the markup they
  build, and the notice print page has its own ``<style>`` block; styles run no code.
  ``frame-ancestors 'none'``: no other site may frame the panel (clickjacking).
- **X-Content-Type-Options: nosniff**, **Referrer-Policy: same-origin**.
- **Cache-Control: no-store** on everything but static assets: pages and workbooks carry
  ID numbers, and a shared office computer's cache must not keep them.
"""

from __future__ import annotations

import secrets

from flask import Flask, g, request
from werkzeug.wrappers import Response

#: Endpoints whose responses are the panel's own assets, which browsers may cache.
STATIC_ENDPOINTS = frozenset({"static", "admin.static"})


def csp_nonce() -> str:
    """This response's nonce, made on first use (Flask-Admin asks once per template)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def secure_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint not in STATIC_ENDPOINTS:
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
        headers.pop("ETag", None)
        headers.pop("Last-Modified", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(secure_headers)
