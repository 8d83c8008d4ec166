"""Who may do what: one table, per screen (the view's endpoint) and action, of roles.

The secure base view (``views/base.py``) reads it for every screen: ``read`` to open the
screen at all, ``create``/``edit``/``delete`` for a model screen's writes. A screen's own
actions (the case page's steps, settling a 待核实 child, the archive's downloads) are rows
of the same table. Which *rows* a role reaches is the scope's question
(``admin_app.access.scope``), not this table's: a village cadre who may edit children edits
only their village's.

``tests/test_access.py`` is the hand-written role × screen matrix this table must meet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..choices import CaseEventKind, Role

READ, CREATE, EDIT, DELETE = "read", "create", "edit", "delete"


EVERYONE = frozenset(Role)
NOBODY: frozenset[Role] = frozenset()
ADMINS = frozenset({Role.ADMIN})
#: Roles that see every village and school (of their township, or of every township):
#: the township's roles and the 县教育局 (``Role.COUNTY``), who reads and writes nothing.
TOWNSHIP = frozenset({Role.ADMIN, Role.CLERK, Role.LEADER, Role.INSPECTOR, Role.COUNTY})
#: The township's clerks: they keep the registers.
CLERKS = frozenset({Role.ADMIN, Role.CLERK})
#: Who works a case: the township's clerks and, within their scope, villages and schools.
CASE_WORKERS = CLERKS | {Role.VILLAGE, Role.SCHOOL}
#: Acts of the 乡人民政府 itself: notices, escalation against guardians, approvals, 销号.
TOWNSHIP_ACTS = CLERKS
INSPECTORS = frozenset({Role.ADMIN, Role.CLERK, Role.INSPECTOR})

#: Roles that may read ID and phone numbers unmasked, on every screen, export and archive.
UNMASKED = frozenset({Role.ADMIN, Role.CLERK, Role.VILLAGE, Role.SCHOOL})

#: Case page actions besides the lifecycle's events: records that change no status.
VISIT, PLAN = "visit", "plan"
#: Settling a 待核实 child (in school, or not → a 疑似 case).
VERIFY_CHILD = "verify_child"
#: The archive of issued workbooks: who downloads every file; who only their own files
#: (their files hold only their rows). Others download the township's files, masked ones
#: only unless they are ``UNMASKED``.
ARCHIVE_EVERY_FILE, ARCHIVE_OWN_FILES = "archive_every_file", "archive_own_files"
#: 动态监测预警: closing an alert; setting the absence threshold.
CLOSE_ALERT, ALERT_SETTINGS = "close_alert", "alert_settings"
#: 开学排查: turning those not at school into 疑似 cases; printing the intake's 入学通知书.
TERMCHECK_ESCALATE, TERMCHECK_NOTICES = "termcheck_escalate", "termcheck_notices"


def _crud(
    read: frozenset[Role],
    write: frozenset[Role] = NOBODY,
    *,
    create: frozenset[Role] | None = None,
    delete: frozenset[Role] | None = None,
    **actions: frozenset[Role],
) -> dict[str, frozenset[Role]]:
    return {
        READ: read,
        CREATE: write if create is None else create,
        EDIT: write,
        DELETE: write if delete is None else delete,
        **actions,
    }


PERMISSIONS: Mapping[str, Mapping[str, frozenset[Role]]] = {
    # 台账
    "child": _crud(
        EVERYONE,
        CLERKS | {Role.VILLAGE, Role.SCHOOL},
        create=CLERKS | {Role.VILLAGE},
        delete=CLERKS,
    ),
    "household": _crud(TOWNSHIP | {Role.VILLAGE}, CLERKS | {Role.VILLAGE}),
    "agreement": _crud(TOWNSHIP | {Role.VILLAGE, Role.SCHOOL}, CLERKS),
    "plan": _crud(TOWNSHIP | {Role.VILLAGE, Role.SCHOOL}, CLERKS | {Role.VILLAGE}),
    "assistance": _crud(
        TOWNSHIP | {Role.VILLAGE, Role.SCHOOL}, CLERKS | {Role.VILLAGE, Role.SCHOOL}
    ),
    "case": {
        **_crud(TOWNSHIP | {Role.VILLAGE, Role.SCHOOL}, CASE_WORKERS, delete=ADMINS),
        # Each step of the case page, keyed by the event it records.
        CaseEventKind.VERIFY: CASE_WORKERS,
        CaseEventKind.CONFIRM: CASE_WORKERS,
        CaseEventKind.ELSEWHERE: CASE_WORKERS,
        CaseEventKind.EXEMPTED: TOWNSHIP_ACTS,
        CaseEventKind.SUSPENDED: TOWNSHIP_ACTS,
        CaseEventKind.MOVED_OUT: CASE_WORKERS,
        # 误报 and 失联 are findings of whoever verifies, like 异地就读.
        CaseEventKind.IN_SCHOOL: CASE_WORKERS,
        CaseEventKind.UNREACHED: CASE_WORKERS,
        CaseEventKind.PERSUADE: CASE_WORKERS,
        CaseEventKind.CRITICISM: TOWNSHIP_ACTS,
        CaseEventKind.RECTIFY: TOWNSHIP_ACTS,
        CaseEventKind.JUDICIAL: TOWNSHIP_ACTS,
        CaseEventKind.ACCOUNTABILITY: TOWNSHIP_ACTS,
        CaseEventKind.RETURN: CASE_WORKERS,
        CaseEventKind.FOLLOW_UP: CASE_WORKERS,
        CaseEventKind.CLOSE: TOWNSHIP_ACTS,
        # Who may record a return may record that it did not hold.
        CaseEventKind.RELAPSE: CASE_WORKERS,
        CaseEventKind.NOTICE: TOWNSHIP_ACTS,
        CaseEventKind.SERVED: TOWNSHIP_ACTS,
        VISIT: CASE_WORKERS,
        PLAN: CASE_WORKERS,
    },
    # 送教上门: schools record their pupils' sessions; villages read their own.
    "hometeach": _crud(TOWNSHIP | {Role.VILLAGE, Role.SCHOOL}, CLERKS | {Role.SCHOOL}),
    "hometeach_overview": _crud(TOWNSHIP | {Role.VILLAGE, Role.SCHOOL}),
    # 督导考核
    "inspection": _crud(TOWNSHIP | {Role.VILLAGE}, INSPECTORS),
    "score": _crud(TOWNSHIP | {Role.VILLAGE}, INSPECTORS),
    "ranking": _crud(TOWNSHIP | {Role.VILLAGE}),
    "accountability": _crud(TOWNSHIP | {Role.VILLAGE}, frozenset({Role.ADMIN, Role.INSPECTOR})),
    "period": _crud(TOWNSHIP, ADMINS),
    "indicator": _crud(ADMINS, ADMINS),
    "reports": _crud(
        TOWNSHIP,
        **{ARCHIVE_EVERY_FILE: ADMINS, ARCHIVE_OWN_FILES: frozenset({Role.VILLAGE, Role.SCHOOL})},
    ),
    # 系统设置
    "inspection_item": _crud(TOWNSHIP, ADMINS),
    "village": _crud(TOWNSHIP | {Role.VILLAGE}, CLERKS, delete=ADMINS),
    "school": _crud(TOWNSHIP | {Role.VILLAGE, Role.SCHOOL}, CLERKS, delete=ADMINS),
    "user": _crud(ADMINS, ADMINS),
    "audit": _crud(ADMINS),
    "password": _crud(EVERYONE),
    # 排查比对: a county list spans villages, and its rejects would show other villages'
    # children, so importing and comparing are the township clerks'.
    "import": _crud(CLERKS),
    "verify": _crud(TOWNSHIP | {Role.VILLAGE}, **{VERIFY_CHILD: CLERKS | {Role.VILLAGE}}),
    "crosscheck": _crud(CLERKS),
    # 动态监测预警: every role reads its own line's alerts (township roles all of them);
    # the owners and the clerks close them; the admin sets the absence threshold.
    "alerts": _crud(EVERYONE, **{CLOSE_ALERT: CASE_WORKERS, ALERT_SETTINGS: ADMINS}),
    "absence": _crud(TOWNSHIP | {Role.VILLAGE, Role.SCHOOL}, CLERKS | {Role.SCHOOL}, delete=CLERKS),
    # 开学排查 (term-start check): clerks open and close a check and turn those not at
    # school into cases; villages and schools mark their own children.
    "termcheck": _crud(
        TOWNSHIP | {Role.VILLAGE, Role.SCHOOL},
        CLERKS,
        delete=NOBODY,
        **{TERMCHECK_ESCALATE: CLERKS, TERMCHECK_NOTICES: CLERKS},
    ),
    "termcheck_mark": _crud(CASE_WORKERS, CASE_WORKERS, create=NOBODY, delete=NOBODY),
    # 月报/学期报 上报 (admin_app.reports.submissions): clerks prepare (填报), redo and
    # correct; the township leader reviews (审核) or sends back (退回); the leader or the
    # admin (the office that uploads to the county) submits (上报); inspectors read; the
    # 县教育局 reads the submitted ones only (its rows: ``submissions.visible``).
    "submission": _crud(
        TOWNSHIP | {Role.COUNTY},
        CLERKS,
        review=frozenset({Role.LEADER}),
        **{"return": frozenset({Role.LEADER})},
        submit=frozenset({Role.LEADER, Role.ADMIN}),
        correct=CLERKS,
    ),
}


# --- 全县部署 (county capability) ------------------------------------------------------------
#: Screens over the whole county: a county list (its matches and rejects span every
#: township). Not for a user kept to one township (``User.township_id``).
COUNTY_SCREENS = frozenset({"import", "crosscheck"})
#: The county's one configuration, shared by every township: a user kept to one township
#: reads it and changes none of it.
COUNTY_SETTINGS = frozenset({"period", "indicator", "inspection_item"})


def _kept_to_township(user: Any) -> bool:
    return user.role not in (Role.VILLAGE, Role.SCHOOL) and (
        getattr(user, "township_id", None) is not None
    )


def roles_for(screen: str, action: str) -> frozenset[Role]:
    """The roles that may take ``action`` on ``screen``; nobody for one the table lacks."""
    return PERMISSIONS.get(screen, {}).get(action, NOBODY)


def allows(user: Any, screen: str, action: str) -> bool:
    """Whether ``user`` (logged in or anonymous) may take ``action`` on ``screen``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if _kept_to_township(user) and (
        screen in COUNTY_SCREENS or (screen in COUNTY_SETTINGS and action != READ)
    ):
        return False
    return user.role in roles_for(screen, action)


def sees_unmasked(user: Any) -> bool:
    """Whether ``user`` reads ID and phone numbers in full."""
    return bool(
        user is not None and getattr(user, "is_authenticated", False) and user.role in UNMASKED
    )
