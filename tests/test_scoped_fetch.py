"""``scope.get_scoped``: the one fetch by a request's id, bounded and within the user's scope."""

from __future__ import annotations

import pytest

from admin_app.access.scope import get_scoped, visible_village_ids
from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Child, School, User, Village


def user_of(world, role: Role) -> User:
    return db.session.query(User).filter_by(username=world.users[role]).one()


@pytest.mark.parametrize(
    "raw",
    [str(2**63), 2**63, str(2**63 - 1), str(2**31), "-1", "0", "1.0", "abc", "", None, " ", "١"],
    ids=repr,
)
def test_an_id_that_no_row_can_have_is_none_not_an_error(app, world, raw):
    with app.app_context():
        assert get_scoped(db.session, Child, raw, user_of(world, Role.ADMIN)) is None


def test_a_row_of_another_village_is_none(app, world):
    with app.app_context():
        cadre = user_of(world, Role.VILLAGE)
        own = get_scoped(db.session, Child, str(world.child_a), cadre)
        assert own is not None and own.id == world.child_a  # the control
        assert get_scoped(db.session, Child, str(world.child_b), cadre) is None
        assert get_scoped(db.session, Village, world.village_b, cadre) is None
        # Township-wide roles reach both.
        leader = user_of(world, Role.LEADER)
        assert get_scoped(db.session, Child, world.child_b, leader).id == world.child_b


def test_a_school_reaches_its_own_school_only(app, world):
    with app.app_context():
        school = user_of(world, Role.SCHOOL)
        assert get_scoped(db.session, School, world.school_a, school).id == world.school_a
        assert get_scoped(db.session, School, world.school_b, school) is None


def test_the_case_page_of_an_id_over_2_63_is_a_404(client_as):
    client = client_as(Role.CLERK)
    for url in (
        f"/admin/case/details/?id={2**63}",
        # PostgreSQL's INTEGER key refused this one with an error (HTTP 500).
        f"/admin/case/details/?id={2**31}",
        f"/admin/child/edit/?id={2**63 - 1}",
        f"/admin/case/notice/print/?id={2**63}",
        f"/admin/child/details/?id={2**63}",
        f"/admin/verify/child/?id={2**63}",
    ):
        assert client.get(url).status_code == 404, url


def test_another_villages_child_is_a_404_on_its_pages(client_as, world):
    cadre = client_as(Role.VILLAGE)
    assert cadre.get(f"/admin/child/details/?id={world.child_a}").status_code == 200
    assert cadre.get(f"/admin/child/details/?id={world.child_b}").status_code == 404
    assert cadre.get(f"/admin/verify/child/?id={world.child_b}").status_code == 404


def test_visible_villages(app, world):
    with app.app_context():
        assert visible_village_ids(db.session, user_of(world, Role.CLERK)) is None
        assert visible_village_ids(db.session, user_of(world, Role.VILLAGE)) == [world.village_a]
