"""Each role on each screen: allowed, refused with 403, or sent to the login page."""

from __future__ import annotations

import datetime as dt

import pytest

from admin_app.access.permissions import roles_for
from admin_app.cases import termcheck
from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Child, Township
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
    # 送教上门
    "/admin/hometeach/": TOWNSHIP | {V, S},
    "/admin/hometeach_overview/": TOWNSHIP | {V, S},
    # 动态监测预警
    "/admin/alerts/": set(Role),
    "/admin/absence/": TOWNSHIP | {V, S},
    # 开学排查 (term-start check)
    "/admin/termcheck/": TOWNSHIP | {V, S},
    # 月报/学期报上报: the 县教育局 reads (its submitted reports only: test_submissions.py).
    "/admin/submission/": TOWNSHIP | {Role.COUNTY},
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
    # 送教上门: the teaching school and the township's clerks record sessions.
    "/admin/hometeach/new/": {A, C, S},
    # 动态监测预警: schools report absences, clerks too.
    "/admin/absence/new/": {A, C, S},
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


# --- 开学排查 (term-start check) ----------------------------------------------------------

#: Who may open a check's pages and take its steps (the check of the world's township).
TERMCHECK_PAGES = {
    "/admin/termcheck/campaign/?id={id}": TOWNSHIP | {V, S},
    "/admin/termcheck/intake/?id={id}": TOWNSHIP | {V, S},
    "/admin/termcheck_mark/?id={id}": {A, C, V, S},
}
TERMCHECK_POSTS = {
    "/admin/termcheck/new/": {A, C},
    "/admin/termcheck/escalate/?id={id}": {A, C},
    "/admin/termcheck/close/?id={id}": {A, C},
    "/admin/termcheck_mark/save/?id={id}": {A, C, V, S},
}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_on_the_term_check(app, client_as, world, role):
    with app.app_context():
        township = db.session.query(Township).first()
        campaign = termcheck.open_campaign(
            db.session,
            township,
            term="2026年秋季学期",
            opens_on=dt.date(2026, 9, 1),
            deadline=dt.date(2099, 9, 20),
            user=None,
        )
        db.session.commit()
        campaign_id = campaign.id
    client = client_as(role)
    for url, readers in TERMCHECK_PAGES.items():
        expected = 200 if role in readers else 403
        assert client.get(url.format(id=campaign_id)).status_code == expected, (role, url)
    token = session_token(client)
    for url, writers in TERMCHECK_POSTS.items():
        # An empty post: refused (403) before anything else for roles without the right;
        # others get past the role check (a redirect or a Chinese 400, never 403).
        status = client.post(url.format(id=campaign_id), data={"csrf_token": token}).status_code
        assert (status == 403) == (role not in writers), (role, url, status)


# --- 月报/学期报上报 -----------------------------------------------------------------------


def test_the_submission_steps_belong_to_their_roles():
    """填报/更正: clerks and admins; 审核/退回: the leader; 上报: the leader or the admin."""
    clerks = {A, C}
    assert roles_for("submission", "create") == clerks
    assert roles_for("submission", "edit") == clerks
    assert roles_for("submission", "delete") == clerks
    assert roles_for("submission", "correct") == clerks
    assert roles_for("submission", "review") == {L}
    assert roles_for("submission", "return") == {L}
    assert roles_for("submission", "submit") == {L, A}


def test_the_submission_menu_entry_is_for_its_readers(client_as):
    assert "/admin/submission/" in client_as(Role.COUNTY).get("/admin/").get_data(as_text=True)
    assert "/admin/submission/" in client_as(Role.INSPECTOR).get("/admin/").get_data(as_text=True)
    assert "/admin/submission/" not in client_as(V).get("/admin/").get_data(as_text=True)
