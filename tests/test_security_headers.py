"""Response headers on every response (issue 11 item 12)."""

from __future__ import annotations

import re

import pytest

from admin_app import create_app
from admin_app.choices import Role
from admin_app.extensions import db
from tests.factories import make_period

#: Inline event handlers (onclick=, onchange=…) and javascript: URLs that run code.
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def csp(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in header.split(";"))
    }


def assert_secure(response) -> None:
    policy = csp(response)
    assert policy["default-src"] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_carry_the_security_headers(client, client_as, world):
    for response in (
        client.get("/admin/login/"),
        client_as(Role.CLERK).get("/admin/child/"),
        client_as(Role.CLERK).get("/admin/no-such-page/"),
    ):
        assert_secure(response)
        assert response.headers["Cache-Control"] == "no-store"


def test_static_assets_may_be_cached(client):
    response = client.get("/static/panel.js")
    assert_secure(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")


PAGES = (
    "/admin/",
    "/admin/child/",  # inline edit (x-editable), filters, bulk actions, row delete
    "/admin/child/new/",
    "/admin/inspection/new/",  # an inline list with its 添加 button
    "/admin/score/",
    "/admin/ranking/",
    "/admin/reports/",
    "/admin/user/",
    "/admin/password/",
)


@pytest.mark.parametrize("path", PAGES)
def test_scripts_carry_the_nonce_and_no_inline_handlers_remain(app, client_as, world, path):
    """Under the policy, a <script> without this response's nonce and any onclick= would
    not run; every script must carry the nonce or come from the panel itself."""
    with app.app_context():
        make_period()  # the ranking needs one
        db.session.commit()
    admin = client_as(Role.ADMIN)
    response = admin.get(path)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    nonce = csp(response)["script-src"].split("'nonce-")[1].split("'")[0]
    for attrs in SCRIPT_TAG.findall(html):
        if "src=" in attrs:
            src = re.search(r'src="([^"]+)"', attrs).group(1)
            assert src.startswith("/"), src  # the panel's own assets only
        else:
            assert f'nonce="{nonce}"' in attrs, attrs
    assert not INLINE_HANDLER.findall(html), INLINE_HANDLER.findall(html)[:3]
    # A fresh nonce per response.
    assert nonce not in admin.get(path).headers["Content-Security-Policy"]


def test_session_cookie_secure_comes_from_the_environment(monkeypatch, tmp_path):
    config = {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert create_app(config).config["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    assert create_app(config).config["SESSION_COOKIE_SECURE"] is True
