"""Each role on each screen: allowed, refused with 403, or sent to the login page."""

from __future__ import annotations

import pytest

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Child
from tests.helpers import session_token

A, C, L, INS, V, S = (
    Role.ADMIN,
    Role.CLERK,
    Role.LEADER,
    Role.INSPECTOR,
    Role.VILLAGE,
    Role.SCHOOL,
)
# 全县部署: the 县教育局 reads what a township's leader reads and writes nothing.
CO = Role.COUNTY
TOWNSHIP = {A, C, L, INS, CO}

#: Who may open each list screen.
READERS = {
    "/admin/": set(Role),
    "/admin/child/": set(Role),
    "/admin/household/": TOWNSHIP | {V},
    "/admin/agreement/": TOWNSHIP | {V, S},
    "/admin/plan/": TOWNSHIP | {V, S},
    "/admin/assistance/": TOWNSHIP | {V, S},
    "/admin/case/": TOWNSHIP | {V, S},
    "/admin/inspection/": TOWNSHIP | {V},
    "/admin/score/": TOWNSHIP | {V},
    "/admin/period/": TOWNSHIP,
    "/admin/inspection_item/": TOWNSHIP,
    "/admin/village/": TOWNSHIP | {V},
    "/admin/school/": TOWNSHIP | {V, S},
    "/admin/user/": {A},
    "/admin/audit/": {A},
    "/admin/verify/": TOWNSHIP | {V},
}

#: Who may open each create form.
CREATORS = {
    "/admin/child/new/": {A, C, V},
    "/admin/household/new/": {A, C, V},
    "/admin/agreement/new/": {A, C},
    "/admin/plan/new/": {A, C, V},
    "/admin/assistance/new/": {A, C, V, S},
    "/admin/case/new/": {A, C, V, S},
    "/admin/inspection/new/": {A, C, INS},
    "/admin/score/new/": {A, C, INS},
    "/admin/period/new/": {A},
    "/admin/inspection_item/new/": {A},
    "/admin/village/new/": {A, C},
    "/admin/school/new/": {A, C},
    "/admin/user/new/": {A},
    "/admin/audit/new/": set(),
}


@pytest.mark.parametrize("url", sorted(READERS))
def test_anonymous_is_sent_to_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/admin/login/" in response.headers["Location"]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_on_each_list_screen(client_as, role):
    client = client_as(role)
    for url, readers in READERS.items():
        expected = 200 if role in readers else 403
        assert client.get(url).status_code == expected, (role, url)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_on_each_create_form(client_as, role):
    client = client_as(role)
    for url, creators in CREATORS.items():
        expected = 200 if role in creators else 403
        assert client.get(url).status_code == expected, (role, url)


def test_read_only_roles_see_no_create_or_edit_buttons(client_as, world):
    html = client_as(Role.LEADER).get("/admin/child/").get_data(as_text=True)
    assert "/admin/child/new/" not in html
    assert "/admin/child/edit/" not in html
    assert "/admin/child/details/" in html
    # The control: the same list shows a clerk both buttons.
    html = client_as(Role.CLERK).get("/admin/child/").get_data(as_text=True)
    assert "/admin/child/new/" in html
    assert "/admin/child/edit/" in html


def test_leader_cannot_edit_or_delete_by_url(app, client_as, world):
    leader = client_as(Role.LEADER)
    assert leader.get(f"/admin/child/edit/?id={world.child_a}").status_code == 403
    data = {"id": world.child_a, "csrf_token": session_token(leader)}
    assert leader.post("/admin/child/delete/", data=data).status_code == 403
    with app.app_context():
        assert db.session.get(Child, world.child_a) is not None
    # The control: a clerk's same requests open the form and delete the row.
    clerk = client_as(Role.CLERK)
    assert clerk.get(f"/admin/child/edit/?id={world.child_a}").status_code == 200
    data = {"id": world.child_a, "csrf_token": session_token(clerk)}
    assert clerk.post("/admin/child/delete/", data=data).status_code == 302
    with app.app_context():
        assert db.session.get(Child, world.child_a) is None


def test_menu_shows_only_reachable_screens(client_as):
    html = client_as(Role.SCHOOL).get("/admin/").get_data(as_text=True)
    assert "/admin/child/" in html
    assert "/admin/household/" not in html
    assert "/admin/user/" not in html
    # The control: the screens are in the menu of those who may open them.
    assert "/admin/household/" in client_as(Role.VILLAGE).get("/admin/").get_data(as_text=True)
    assert "/admin/user/" in client_as(Role.ADMIN).get("/admin/").get_data(as_text=True)


def test_error_pages_are_in_chinese(client_as):
    response = client_as(Role.LEADER).get("/admin/user/")
    assert response.status_code == 403
    assert "无权访问" in response.get_data(as_text=True)
    response = client_as(Role.CLERK).get("/admin/no-such-page/")
    assert response.status_code == 404
    assert "不存在" in response.get_data(as_text=True)
