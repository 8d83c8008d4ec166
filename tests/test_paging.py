"""List paging: where the reader is (第 x / 共 y 页, the row count) and a page typed in a box."""

from __future__ import annotations

import re

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Village
from tests.factories import make_child
from tests.forms import open_form


def more_children(app, world, count: int = 43) -> None:
    """王童01… in 联合村: with ``world``'s two children, 45 rows, three pages of 20."""
    with app.app_context():
        village = db.session.get(Village, world.village_a)
        for number in range(1, count + 1):
            make_child(name=f"王童{number:02d}", village=village)
        db.session.commit()


def status(html: str) -> str:
    match = re.search(r'id="pager-status">\s*(.*?)\s*</span>', html, re.S)
    assert match, "no pager status on the page"
    return match.group(1)


def names(html: str) -> list[str]:
    return re.findall(r"王童\d\d|王小明|李小红", html)


def test_the_list_says_which_page_of_how_many_and_how_many_rows(app, client_as, world):
    more_children(app, world)
    clerk = client_as(Role.CLERK)
    assert (
        status(clerk.get("/admin/child/").get_data(as_text=True)) == "第 1 / 共 3 页，共 45 条记录"
    )
    second = clerk.get("/admin/child/?page=1").get_data(as_text=True)
    assert status(second) == "第 2 / 共 3 页，共 45 条记录"
    fifty = clerk.get("/admin/child/?page_size=50").get_data(as_text=True)
    assert status(fifty) == "第 1 / 共 1 页，共 45 条记录"
    assert 'id="pager-jump"' not in fifty  # one page: nothing to jump to
    # A village cadre counts only the rows of their village.
    village = client_as(Role.VILLAGE).get("/admin/child/").get_data(as_text=True)
    assert status(village) == "第 1 / 共 3 页，共 44 条记录"


def test_an_empty_list_says_it_has_no_rows(app, client_as, world):
    html = client_as(Role.CLERK).get("/admin/child/?search=没有这个人").get_data(as_text=True)
    assert status(html) == "共 0 条记录"


def test_a_page_typed_into_the_box_opens_with_the_search_kept(app, client_as, world):
    more_children(app, world)
    clerk = client_as(Role.CLERK)
    # Newest first: 王小明 and 王童01…王童43 searched are 44 rows; page 3 holds the oldest 4.
    form = open_form(clerk, "/admin/child/?search=王", css_class="pager-jump")
    assert form.value("goto") == "1" and form.value("search") == "王"
    response = form.set("goto", "3").submit(clerk)
    # On to the list's own address for page 3: its links and forms say ``page`` as usual.
    assert response.status_code == 302
    assert response.location == "/admin/child/?page=2&search=%E7%8E%8B&page_size=20"
    html = clerk.get(response.location).get_data(as_text=True)
    assert status(html) == "第 3 / 共 3 页，共 44 条记录"
    assert sorted(names(html)) == ["王小明", "王童01", "王童02", "王童03"]
    assert "goto=" not in html
    assert 'href="/admin/child/?page=1&amp;search=%E7%8E%8B' in html  # < is page 2
    assert "李小红" not in names(html)


def test_a_page_that_is_no_page_never_fails(app, client_as, world):
    more_children(app, world)
    clerk = client_as(Role.CLERK)
    for bad in ("abc", "0", "-2", "1.5", "9" * 30):
        response = clerk.get(f"/admin/child/?goto={bad}", follow_redirects=True)
        assert response.status_code == 200, bad
        assert status(response.get_data(as_text=True)).startswith("第 1 / 共 3 页"), bad
    beyond = clerk.get("/admin/child/?goto=9", follow_redirects=True).get_data(as_text=True)
    assert "没有第 9 页：共 3 页" in beyond and 'href="/admin/child/?page=2' in beyond


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', html)]


def test_pages_near_the_end_are_the_rows_that_follow_in_order(app, client_as, world):
    """The last page is read backwards from the end (admin_app/util/listing.py): it must hold
    the very rows that follow page 2, in the list's order, ties on the sort key included."""
    with app.app_context():
        village = db.session.get(Village, world.village_a)
        # Seven names for 43 children: every name is shared, so only the id orders ties.
        for number in range(43):
            make_child(name=f"王童{number % 7:02d}", village=village)
        db.session.commit()
    clerk = client_as(Role.CLERK)
    for sort in ("", "&sort=0", "&sort=0&desc=1", "&sort=3"):
        pages = [
            row_ids(clerk.get(f"/admin/child/?page={page}{sort}").get_data(as_text=True))
            for page in range(3)
        ]
        everything = row_ids(clerk.get(f"/admin/child/?page_size=50{sort}").get_data(as_text=True))
        assert [len(rows) for rows in pages] == [20, 20, 5], sort
        assert pages[0] + pages[1] + pages[2] == everything, sort
    # A village's cadre sees their own village's rows only, the last page too.
    cadre = client_as(Role.VILLAGE)
    last = cadre.get("/admin/child/?page=2&sort=0").get_data(as_text=True)
    assert len(names(last)) == 4, names(last)
    assert status(last) == "第 3 / 共 3 页，共 44 条记录"


def test_a_very_large_list_shows_its_estimated_count_as_about(app, client_as, world, monkeypatch):
    """On PostgreSQL a list the planner expects to be larger than ``ESTIMATE_ABOVE`` is not
    counted: the pager shows the estimate and says 约. SQLite always counts."""
    from admin_app.util import listing

    more_children(app, world)
    clerk = client_as(Role.CLERK)
    monkeypatch.setattr(listing, "ESTIMATE_ABOVE", 10)
    with app.app_context():
        dialect = db.engine.dialect.name
        if dialect == "postgresql":
            db.session.execute(db.text("ANALYZE child"))
            db.session.commit()
    shown = status(clerk.get("/admin/child/").get_data(as_text=True))
    if dialect == "postgresql":
        assert re.fullmatch(r"第 1 / 约 \d+ 页，约 \d+ 条记录", shown), shown
        # A search is under the threshold: counted exactly again.
        searched = status(clerk.get("/admin/child/?search=王童01").get_data(as_text=True))
        assert searched == "第 1 / 共 1 页，共 1 条记录"
    else:
        assert shown == "第 1 / 共 3 页，共 45 条记录"
    monkeypatch.setattr(listing, "ESTIMATE_ABOVE", 1_000_000)
    assert (
        status(clerk.get("/admin/child/").get_data(as_text=True)) == "第 1 / 共 3 页，共 45 条记录"
    )
