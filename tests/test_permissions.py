"""The permissions table's shape: one row per screen, one per case step, nobody by default.

Who may do what on each screen is checked, independently of the table, by the role ×
screen matrix of ``tests/test_access.py`` and the screens' own tests.
"""

from __future__ import annotations

from flask_login import login_user, logout_user
from sqlalchemy import select

from admin_app.access.auth import may, may_see_unmasked
from admin_app.access.permissions import (
    CREATE,
    DELETE,
    EDIT,
    PERMISSIONS,
    READ,
    allows,
    roles_for,
    sees_unmasked,
)
from admin_app.choices import CaseEventKind, Role
from admin_app.extensions import db
from admin_app.models import User
from admin_app.views import SCREENS
from admin_app.views.case import STEPS

CRUD = {READ, CREATE, EDIT, DELETE}


def test_every_screen_has_a_row_and_every_row_a_screen():
    assert set(PERMISSIONS) == {screen.endpoint for screen in SCREENS}
    for screen, actions in PERMISSIONS.items():
        assert set(actions) >= CRUD, screen


def test_every_case_step_has_its_roles_and_no_roles_are_left_over():
    # The notice's 送达 is recorded from its own small form, not a step button.
    assert set(PERMISSIONS["case"]) - CRUD == set(STEPS) | {CaseEventKind.SERVED}


def test_what_the_table_lacks_nobody_may_do():
    assert roles_for("no-such-screen", READ) == frozenset()
    assert roles_for("child", "no-such-action") == frozenset()
    assert roles_for("child", READ) == frozenset(Role)  # the control


class Someone:
    def __init__(self, role: Role, authenticated: bool = True) -> None:
        self.role = role
        self.is_authenticated = authenticated


def test_an_anonymous_user_may_do_nothing():
    assert allows(Someone(Role.ADMIN), "user", READ)
    assert not allows(Someone(Role.ADMIN, authenticated=False), "user", READ)
    assert not allows(None, "child", READ)


class NotAUser:
    """An object with a role but no ``is_authenticated``: never taken for a logged-in user."""

    role = Role.ADMIN


def test_only_a_logged_in_user_passes():
    assert not allows(NotAUser(), "user", READ)
    assert allows(Someone(Role.ADMIN), "user", READ)  # the control


def test_who_reads_numbers_in_full():
    """Clerks, village and school users read ID and phone numbers in full (they work with
    them); leaders and inspectors read them masked; nobody who is not logged in does."""
    full = {role for role in Role if sees_unmasked(Someone(role))}
    assert full == {Role.ADMIN, Role.CLERK, Role.VILLAGE, Role.SCHOOL}
    assert not sees_unmasked(Someone(Role.CLERK, authenticated=False))
    assert not sees_unmasked(NotAUser())
    assert not sees_unmasked(None)


def test_answers_kept_for_a_request_follow_its_user_and_role(app, world):
    """``may`` keeps its answers for the request: a login, or a changed role, within the
    same request must be asked again, not answered for the user before."""
    with app.test_request_context("/admin/"):
        admin, inspector = (
            db.session.scalar(select(User).filter_by(username=world.users[role]))
            for role in (Role.ADMIN, Role.INSPECTOR)
        )
        login_user(admin)
        assert may("user", READ) and may_see_unmasked()
        login_user(inspector)
        assert not may("user", READ) and not may_see_unmasked()
        inspector.role = Role.ADMIN
        assert may("user", READ) and may_see_unmasked()
        logout_user()
        assert not may("user", READ) and not may_see_unmasked()
