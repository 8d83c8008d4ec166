"""The relational schema of DESIGN.md §2 as typed SQLAlchemy 2 models.

Integrity that the domain states (unique ID numbers, score within 0..max, amounts ≥ 0,
grade consistent with 学段) is enforced here by constraints, so that every path — panel,
CLI, import, raw SQL — is held to it; the friendly Chinese messages come from
``admin_app.lists.validation`` before a row ever reaches these constraints.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    inspect,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from .choices import (
    AccountabilityAction,
    AccountabilityStatus,
    AgreementLevel,
    AgreementLine,
    AgreementStatus,
    AlertAction,
    AlertKind,
    AlertStatus,
    AssistanceKind,
    AuditAction,
    CaseEventKind,
    CaseKind,
    CaseSource,
    CaseStatus,
    ChildStatus,
    CodeEnum,
    HouseholdCategory,
    ImportSource,
    IndicatorMethod,
    NoticeKind,
    OutOfSchoolReason,
    PlanStatus,
    ReportKind,
    Role,
    SchoolKind,
    Sex,
    Stage,
    SubmissionStatus,
    TermCheckResult,
)
from .extensions import db
from .reports.display import points


def code_enum(enum_class: type[CodeEnum], name: str) -> SAEnum:
    """A portable enumeration column: VARCHAR plus a CHECK on the codes (no native types)."""
    return SAEnum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_class) + 4,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Versioned:
    """Optimistic locking: every ORM UPDATE is ``… WHERE version = :loaded`` and bumps it.

    Two clerks who opened the same record must not overwrite each other's save unseen: the
    edit forms carry the version the clerk saw (``admin_app.util.locking``), and a save from an
    older version is refused. SQLAlchemy raises ``StaleDataError`` when the row changed
    between loading and flushing, so the check also holds under real concurrency.
    """

    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


# --- Places ----------------------------------------------------------------------------


class Township(db.Model):
    __tablename__ = "township"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    code: Mapped[str | None] = mapped_column(String(12))

    villages: Mapped[list[Village]] = relationship(back_populates="township")

    def __str__(self) -> str:
        return self.name


class Village(Versioned, db.Model):
    __tablename__ = "village"
    __table_args__ = (UniqueConstraint("township_id", "name", name="uq_village_township_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(50), index=True)
    code: Mapped[str | None] = mapped_column(String(12), index=True)
    groups: Mapped[str | None] = mapped_column(Text)

    township: Mapped[Township] = relationship(back_populates="villages")

    def __str__(self) -> str:
        return self.name


class School(Versioned, db.Model):
    __tablename__ = "school"
    __table_args__ = (UniqueConstraint("township_id", "name", name="uq_school_township_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(80), index=True)
    code: Mapped[str | None] = mapped_column(String(10))
    kind: Mapped[SchoolKind] = mapped_column(code_enum(SchoolKind, "school_kind"))

    township: Mapped[Township] = relationship()

    def __str__(self) -> str:
        return self.name


# --- Users -----------------------------------------------------------------------------


class User(UserMixin, Versioned, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role <> 'village' OR village_id IS NOT NULL", name="user_village_scope"),
        CheckConstraint("role <> 'school' OR school_id IS NOT NULL", name="user_school_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    role: Mapped[Role] = mapped_column(code_enum(Role, "user_role"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"))
    # 全县部署 (county capability): the township a township role is limited to; None for
    # the county-level accounts and a single-township deployment (access/scope.py).
    township_id: Mapped[int | None] = mapped_column(
        ForeignKey("township.id", ondelete="RESTRICT"), index=True
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: A demo account of ``seed-demo``, whose password is published in the README.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Carried in each session of this user; a new one (logout, new password, deactivation)
    #: ends every session that carries the old one.
    session_token: Mapped[str | None] = mapped_column(String(64))
    #: Failed logins since the last success, the last failure, the lock and how many locks
    #: in a row (each doubles the next): see ``admin_app.access.lockout``.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_failed_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    lockouts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    village: Mapped[Village | None] = relationship()
    school: Mapped[School | None] = relationship()
    township: Mapped[Township | None] = relationship()

    #: Written by logins, the lockout and logouts, not by anyone editing the account: they
    #: must not outdate an admin's open edit form (see ``_bump_user_version``).
    LOGIN_BOOKKEEPING = frozenset(
        {
            "last_login_at",
            "session_token",
            "failed_logins",
            "last_failed_login_at",
            "locked_until",
            "lockouts",
        }
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        # The version is still checked on every UPDATE; ``_bump_user_version`` decides
        # when it moves on.
        return {"version_id_col": cls.__table__.c.version, "version_id_generator": False}

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users.
        return bool(self.active)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the id and the current session token.

        ``auth.load_user`` accepts a session only while its token is the user's current
        one, so a new token ends every session of the user at once.
        """
        if not self.session_token:
            self.new_session_token()
        return f"{self.id}:{self.session_token}"

    def new_session_token(self) -> None:
        self.session_token = secrets.token_urlsafe(32)

    @validates("active")
    def _end_sessions_on_deactivation(self, key: str, value: bool) -> bool:
        """Deactivating an account ends its sessions, and reactivating does not revive them."""
        if not value and self.id is not None:
            self.new_session_token()
        return value

    def set_password(self, password: str, method: str | None = None) -> None:
        """Store the hash of a new password; sessions opened with the old one end."""
        kwargs = {"method": method} if method else {}
        self.password_hash = generate_password_hash(password, **kwargs)
        self.new_session_token()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __str__(self) -> str:
        return f"{self.display_name}({self.username})"


class LoginThrottle(db.Model):
    """Failed logins per client address, locked as accounts are (``admin_app.access.lockout``).

    Also counts the failures for unknown usernames in the current window, which the audit
    log records as one summary per address and window rather than a row per guess.
    """

    __tablename__ = "login_throttle"

    ip: Mapped[str] = mapped_column(String(45), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)
    unknown_count: Mapped[int] = mapped_column(Integer, default=0)
    unknown_since: Mapped[dt.datetime | None] = mapped_column(DateTime)


class SiteFlag(db.Model):
    """Facts about this database that travel with it (a backup restores them).

    ``demo_database`` is set by ``seed-demo``: demo accounts outside such a database
    get a warning banner.
    """

    __tablename__ = "site_flag"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# --- Households and children -----------------------------------------------------------


class Household(TimestampMixin, Versioned, db.Model):
    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(
        ForeignKey("village.id", ondelete="RESTRICT"), index=True
    )
    head_name: Mapped[str] = mapped_column(String(50), index=True)
    group_name: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    is_poverty_alleviated: Mapped[bool] = mapped_column(Boolean, default=False)
    is_monitored: Mapped[bool] = mapped_column(Boolean, default=False)
    is_dibao: Mapped[bool] = mapped_column(Boolean, default=False)
    is_tekun: Mapped[bool] = mapped_column(Boolean, default=False)
    is_disabled_family: Mapped[bool] = mapped_column(Boolean, default=False)
    remarks: Mapped[str | None] = mapped_column(Text)

    village: Mapped[Village] = relationship()
    children: Mapped[list[Child]] = relationship(back_populates="household")
    category_spans: Mapped[list[HouseholdCategorySpan]] = relationship(
        back_populates="household", cascade="all, delete-orphan", passive_deletes=True
    )

    #: Not a column: set before a flush to date a category change other than today
    #: (``admin_app.util.history`` reads and clears it).
    categories_effective_on = None

    @property
    def is_supported(self) -> bool:
        """True for the households whose children 帮扶覆盖率 counts (DESIGN.md §4)."""
        return any(
            (
                self.is_poverty_alleviated,
                self.is_monitored,
                self.is_dibao,
                self.is_tekun,
                self.is_disabled_family,
            )
        )

    def __str__(self) -> str:
        return f"{self.head_name}户"


class HouseholdCategorySpan(db.Model):
    """When a household held one support category (帮扶类别): [held_from, held_until).

    帮扶覆盖率 reads a household's categories as of the period from here, not from today's
    Household columns. ``held_from`` is NULL for a category the household already had when
    it was first recorded (its start is unknown: it counts for every earlier period);
    ``held_until`` is NULL while it still holds. ``admin_app.util.history`` writes the rows on
    every flush that sets or clears a category.
    """

    __tablename__ = "household_category_span"
    __table_args__ = (
        # Covers "did the household hold any category during P" without touching the table.
        Index("ix_household_category_span", "household_id", "held_from", "held_until"),
        CheckConstraint(
            "held_until IS NULL OR held_from IS NULL OR held_until >= held_from",
            name="household_category_span_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    category: Mapped[HouseholdCategory] = mapped_column(
        code_enum(HouseholdCategory, "household_category")
    )
    held_from: Mapped[dt.date | None] = mapped_column(Date)
    held_until: Mapped[dt.date | None] = mapped_column(Date)
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    household: Mapped[Household] = relationship(back_populates="category_spans")

    def __str__(self) -> str:
        return self.category.label


class Child(TimestampMixin, Versioned, db.Model):
    __tablename__ = "child"
    __table_args__ = (
        CheckConstraint("grade IS NULL OR (grade BETWEEN 1 AND 9)", name="child_grade_range"),
        CheckConstraint(
            "grade IS NULL OR stage IS NULL"
            " OR (stage = 'primary' AND grade <= 6) OR (stage = 'junior' AND grade >= 7)",
            name="child_grade_stage",
        ),
        CheckConstraint(
            "status NOT IN ('not_enrolled', 'dropout') OR status_reason IS NOT NULL",
            name="child_out_of_school_reason",
        ),
        CheckConstraint(
            "id_number IS NOT NULL OR no_id_reason IS NOT NULL", name="child_id_or_reason"
        ),
        Index("ix_child_village_status", "village_id", "status"),
        Index("ix_child_school_status", "school_id", "status"),
        # varchar_pattern_ops lets PostgreSQL answer `name LIKE '张%'` from the index.
        Index("ix_child_name", "name", postgresql_ops={"name": "varchar_pattern_ops"}),
        # The first digits of an ID number or 学籍号 find the child (a prefix range on
        # SQLite, LIKE 'p%' on PostgreSQL: both need a b-tree in byte order).
        Index(
            "ix_child_id_number_prefix",
            "id_number",
            postgresql_ops={"id_number": "varchar_pattern_ops"},
        ),
        Index(
            "ix_child_student_no",
            "student_no",
            postgresql_ops={"student_no": "varchar_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"))
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[Sex] = mapped_column(code_enum(Sex, "child_sex"))
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    no_id_reason: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date, index=True)
    ethnicity: Mapped[str | None] = mapped_column(String(20), default="汉族")

    guardian_name: Mapped[str | None] = mapped_column(String(50))
    guardian_relation: Mapped[str | None] = mapped_column(String(20))
    guardian_phone: Mapped[str | None] = mapped_column(String(20))
    guardian_migrant: Mapped[bool] = mapped_column(Boolean, default=False)

    is_left_behind: Mapped[bool] = mapped_column(Boolean, default=False)
    is_migrant: Mapped[bool] = mapped_column(Boolean, default=False)
    is_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disability_category: Mapped[str | None] = mapped_column(String(20))
    disability_grade: Mapped[str | None] = mapped_column(String(10))
    disability_cert_no: Mapped[str | None] = mapped_column(String(30))
    is_poor: Mapped[bool] = mapped_column(Boolean, default=False)
    is_prisoner_child: Mapped[bool] = mapped_column(Boolean, default=False)
    is_disabled_parent_child: Mapped[bool] = mapped_column(Boolean, default=False)
    is_orphan: Mapped[bool] = mapped_column(Boolean, default=False)

    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="SET NULL"))
    stage: Mapped[Stage | None] = mapped_column(code_enum(Stage, "child_stage"))
    grade: Mapped[int | None] = mapped_column(Integer)
    class_name: Mapped[str | None] = mapped_column(String(20))
    student_no: Mapped[str | None] = mapped_column(String(30))
    # active_history: the history listener needs the old status even when it was expired.
    status: Mapped[ChildStatus] = mapped_column(
        code_enum(ChildStatus, "child_status"),
        default=ChildStatus.ENROLLED,
        index=True,
        active_history=True,
    )
    status_reason: Mapped[OutOfSchoolReason | None] = mapped_column(
        code_enum(OutOfSchoolReason, "child_status_reason")
    )
    status_note: Mapped[str | None] = mapped_column(String(200))
    remarks: Mapped[str | None] = mapped_column(Text)

    village: Mapped[Village] = relationship()
    household: Mapped[Household | None] = relationship(back_populates="children")
    school: Mapped[School | None] = relationship()
    status_changes: Mapped[list[ChildStatusChange]] = relationship(
        back_populates="child",
        cascade="all, delete-orphan",
        order_by="ChildStatusChange.effective_on, ChildStatusChange.id",
    )

    #: Not a column: set before a flush to date a status change other than today
    #: (``admin_app.util.history`` reads and clears it).
    status_effective_on = None

    def __str__(self) -> str:
        return self.name


class ChildStatusChange(db.Model):
    """One row per status change; period indicators read status as of a date from here.

    Each row holds for [effective_on, ended_on): ``ended_on`` is the next change's date,
    NULL while the row is current. "Status on day D" is then a range filter, not a
    window over the whole history (``admin_app.util.history`` keeps it up to date).
    """

    __tablename__ = "child_status_change"
    __table_args__ = (
        # Covers "the row holding on day D" for a child without touching the table.
        Index(
            "ix_status_change_child_date",
            "child_id",
            "effective_on",
            "ended_on",
            "to_status",
            "reason",
        ),
        CheckConstraint(
            "ended_on IS NULL OR ended_on >= effective_on", name="status_change_period_order"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    from_status: Mapped[ChildStatus | None] = mapped_column(
        code_enum(ChildStatus, "status_change_from")
    )
    to_status: Mapped[ChildStatus] = mapped_column(code_enum(ChildStatus, "status_change_to"))
    effective_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[OutOfSchoolReason | None] = mapped_column(
        code_enum(OutOfSchoolReason, "status_change_reason")
    )
    note: Mapped[str | None] = mapped_column(String(200))
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    child: Mapped[Child] = relationship(back_populates="status_changes")
    changed_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        if self.from_status is None:
            return self.to_status.label
        return f"{self.from_status.label}→{self.to_status.label}"


# --- 双线 responsibility agreements ------------------------------------------------------


class ResponsibilityAgreement(TimestampMixin, Versioned, db.Model):
    __tablename__ = "responsibility_agreement"
    __table_args__ = (
        CheckConstraint(
            "target_enrolment_rate IS NULL OR "
            "(target_enrolment_rate >= 0 AND target_enrolment_rate <= 100)",
            name="agreement_enrolment_rate_range",
        ),
        CheckConstraint(
            "target_retention_rate IS NULL OR "
            "(target_retention_rate >= 0 AND target_retention_rate <= 100)",
            name="agreement_retention_rate_range",
        ),
        CheckConstraint(
            "valid_until IS NULL OR signed_on IS NULL OR valid_until >= signed_on",
            name="agreement_validity_order",
        ),
        Index("ix_agreement_year_level", "year", "level"),
        # The ranking asks, child by child, "is a parent agreement valid in the period?":
        # with every column of that test in the index the answer never reads the table.
        # They also serve the foreign keys' lookups (leading column).
        Index(
            "ix_agreement_child_validity", "child_id", "level", "status", "signed_on", "valid_until"
        ),
        Index(
            "ix_agreement_household_validity",
            "household_id",
            "child_id",
            "level",
            "status",
            "signed_on",
            "valid_until",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    line: Mapped[AgreementLine] = mapped_column(code_enum(AgreementLine, "agreement_line"))
    level: Mapped[AgreementLevel] = mapped_column(code_enum(AgreementLevel, "agreement_level"))
    party_a_name: Mapped[str] = mapped_column(String(50))
    party_a_org: Mapped[str] = mapped_column(String(80))
    party_b_name: Mapped[str] = mapped_column(String(50))
    party_b_org: Mapped[str | None] = mapped_column(String(80))
    village_id: Mapped[int | None] = mapped_column(
        ForeignKey("village.id", ondelete="RESTRICT"), index=True
    )
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="RESTRICT"), index=True
    )
    # Indexed by the validity indexes above.
    child_id: Mapped[int | None] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    target_enrolment_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    target_retention_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    liability_clause: Mapped[str | None] = mapped_column(Text)
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[AgreementStatus] = mapped_column(
        code_enum(AgreementStatus, "agreement_status"), default=AgreementStatus.DRAFT, index=True
    )
    scan_file: Mapped[str | None] = mapped_column(String(255))

    village: Mapped[Village | None] = relationship()
    school: Mapped[School | None] = relationship()
    child: Mapped[Child | None] = relationship()
    household: Mapped[Household | None] = relationship()

    def __str__(self) -> str:
        return f"{self.year}年 {self.level.label} {self.party_b_name}"


# --- 一家一案 assistance -------------------------------------------------------------------


class AssistancePlan(TimestampMixin, Versioned, db.Model):
    __tablename__ = "assistance_plan"
    __table_args__ = (
        CheckConstraint(
            "child_id IS NOT NULL OR household_id IS NOT NULL", name="plan_has_subject"
        ),
        CheckConstraint(
            "review_on IS NULL OR review_on >= start_on", name="plan_review_after_start"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int | None] = mapped_column(
        ForeignKey("child.id", ondelete="CASCADE"), index=True
    )
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    measures: Mapped[str] = mapped_column(Text)
    village_person: Mapped[str | None] = mapped_column(String(50))
    school_person: Mapped[str | None] = mapped_column(String(50))
    start_on: Mapped[dt.date] = mapped_column(Date)
    review_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[PlanStatus] = mapped_column(
        code_enum(PlanStatus, "plan_status"), default=PlanStatus.ACTIVE
    )
    #: The 控辍案件 this 一人一案 plan was drawn up for (none for a plain 一家一案 plan).
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("dropout_case.id", ondelete="SET NULL"), index=True
    )

    child: Mapped[Child | None] = relationship()
    household: Mapped[Household | None] = relationship()
    case: Mapped[DropoutCase | None] = relationship(back_populates="plans")

    def __str__(self) -> str:
        subject = self.child or self.household
        return f"帮扶方案#{self.id} {subject or ''}"


class AssistanceRecord(TimestampMixin, Versioned, db.Model):
    __tablename__ = "assistance_record"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="assistance_amount_non_negative"),
        # Holds the kind too: 帮扶覆盖率 probes "a support record in P" from the index alone.
        Index("ix_assistance_child_date", "child_id", "given_on", "kind"),
        # The list's order (newest first, then id): its first and last pages from the index.
        Index("ix_assistance_given_on_id", "given_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("assistance_plan.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[AssistanceKind] = mapped_column(
        code_enum(AssistanceKind, "assistance_kind"), index=True
    )
    given_on: Mapped[dt.date] = mapped_column(Date)
    person: Mapped[str | None] = mapped_column(String(50))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    content: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)

    child: Mapped[Child] = relationship()
    plan: Mapped[AssistancePlan | None] = relationship()

    def __str__(self) -> str:
        return f"{self.kind.label} {self.given_on}"


# --- 控辍 cases ----------------------------------------------------------------------------


class DropoutCase(TimestampMixin, Versioned, db.Model):
    __tablename__ = "dropout_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CaseKind] = mapped_column(code_enum(CaseKind, "case_kind"))
    discovered_on: Mapped[dt.date] = mapped_column(Date, index=True)
    source: Mapped[CaseSource] = mapped_column(code_enum(CaseSource, "case_source"))
    reason: Mapped[OutOfSchoolReason | None] = mapped_column(
        code_enum(OutOfSchoolReason, "case_reason")
    )
    reason_note: Mapped[str | None] = mapped_column(String(200))
    family_situation: Mapped[str | None] = mapped_column(Text)
    village_person: Mapped[str | None] = mapped_column(String(50))
    school_person: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[CaseStatus] = mapped_column(
        code_enum(CaseStatus, "case_status"), default=CaseStatus.SUSPECTED, index=True
    )
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(Text)
    #: End of the 巩固跟踪 term: the case may be closed (销号) from this day on.
    follow_up_until: Mapped[dt.date | None] = mapped_column(Date)

    child: Mapped[Child] = relationship()
    visits: Mapped[list[CaseVisit]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseVisit.seq"
    )
    notices: Mapped[list[Notice]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Notice.issued_on, Notice.id"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case",
        cascade="all, delete-orphan",
        order_by="CaseEvent.happened_on, CaseEvent.id",
    )
    plans: Mapped[list[AssistancePlan]] = relationship(back_populates="case")

    def __str__(self) -> str:
        return f"控辍案件#{self.id}"


class CaseVisit(db.Model):
    __tablename__ = "case_visit"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_visit_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dropout_case.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    visited_on: Mapped[dt.date] = mapped_column(Date)
    persons: Mapped[str] = mapped_column(String(200))
    result: Mapped[str | None] = mapped_column(Text)

    case: Mapped[DropoutCase] = relationship(back_populates="visits")


class Notice(db.Model):
    __tablename__ = "notice"
    __table_args__ = (
        UniqueConstraint("township_id", "year", "seq", name="uq_notice_number_seq"),
        CheckConstraint("deadline IS NULL OR deadline >= issued_on", name="notice_deadline_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dropout_case.id", ondelete="CASCADE"))
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id", ondelete="RESTRICT"))
    kind: Mapped[NoticeKind] = mapped_column(code_enum(NoticeKind, "notice_kind"))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(50), unique=True)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    served_to: Mapped[str | None] = mapped_column(String(50))
    served_on: Mapped[dt.date | None] = mapped_column(Date)
    result: Mapped[str | None] = mapped_column(Text)
    #: The addressee and school as printed when issued: a reprint reads as the served copy.
    addressee: Mapped[str | None] = mapped_column(String(50))
    school_name: Mapped[str | None] = mapped_column(String(80))
    #: 履行情况 once the deadline is reached: True complied, False did not, None not recorded.
    complied: Mapped[bool | None] = mapped_column(Boolean)
    issued_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    case: Mapped[DropoutCase] = relationship(back_populates="notices")
    #: The issuing township: its name heads the notice and its counter numbers it.
    township: Mapped[Township] = relationship()
    issued_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return self.number


class NoticeCounter(db.Model):
    """The last notice number issued per township and year.

    Numbers are drawn by ``UPDATE … RETURNING`` on this row inside the transaction that
    inserts the notice: the row lock makes a second clerk wait for the first one's commit,
    and a rolled-back issue takes its number back with it — no duplicates, no gaps.
    """

    __tablename__ = "notice_counter"

    township_id: Mapped[int] = mapped_column(
        ForeignKey("township.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class CaseEvent(db.Model):
    """One step of a case: lifecycle transition, escalation step or notice event.

    Written only by ``admin_app.cases.core``; the case's timeline is read from here.
    """

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_case_date", "case_id", "happened_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dropout_case.id", ondelete="CASCADE"))
    kind: Mapped[CaseEventKind] = mapped_column(code_enum(CaseEventKind, "case_event_kind"))
    happened_on: Mapped[dt.date] = mapped_column(Date)
    from_status: Mapped[CaseStatus | None] = mapped_column(code_enum(CaseStatus, "case_event_from"))
    to_status: Mapped[CaseStatus | None] = mapped_column(code_enum(CaseStatus, "case_event_to"))
    note: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    #: Why an escalation step was taken without the earlier one (kept, shown on the case).
    skip_reason: Mapped[str | None] = mapped_column(Text)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: The actor's name as it was, should the account later go.
    actor_name: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    case: Mapped[DropoutCase] = relationship(back_populates="events")
    notice: Mapped[Notice | None] = relationship()
    actor: Mapped[User | None] = relationship()


# --- Inspections and assessment --------------------------------------------------------


class AssessmentPeriod(Versioned, db.Model):
    __tablename__ = "assessment_period"
    __table_args__ = (CheckConstraint("end_on >= start_on", name="period_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    start_on: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date] = mapped_column(Date, index=True)

    def __str__(self) -> str:
        return self.name


class InspectionItem(Versioned, db.Model):
    __tablename__ = "inspection_item"
    __table_args__ = (CheckConstraint("max_points > 0", name="inspection_item_max_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    max_points: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return f"{self.name}(满分{points(self.max_points)})"


class Inspection(TimestampMixin, Versioned, db.Model):
    __tablename__ = "inspection"
    __table_args__ = (Index("ix_inspection_period_village", "period_id", "village_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("assessment_period.id", ondelete="RESTRICT"))
    village_id: Mapped[int] = mapped_column(
        ForeignKey("village.id", ondelete="RESTRICT"), index=True
    )
    inspected_on: Mapped[dt.date] = mapped_column(Date)
    inspectors: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    #: 发现瞒报、漏报: puts the village under 一票否决 for the period (DESIGN.md §5).
    concealment_found: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    period: Mapped[AssessmentPeriod] = relationship()
    village: Mapped[Village] = relationship()
    scores: Mapped[list[InspectionScore]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.village} {self.inspected_on}督导"


class InspectionScore(Versioned, db.Model):
    """A score of one item; ``max_points`` is the item's maximum copied at scoring time,
    so that the database itself can hold every score within 0..max."""

    __tablename__ = "inspection_score"
    __table_args__ = (
        UniqueConstraint("inspection_id", "item_id", name="uq_score_inspection_item"),
        CheckConstraint("score >= 0 AND score <= max_points", name="score_within_max"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspection.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("inspection_item.id", ondelete="RESTRICT"), index=True
    )
    max_points: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    score: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    deduction_reason: Mapped[str | None] = mapped_column(Text)
    evidence_file: Mapped[str | None] = mapped_column(String(255))

    inspection: Mapped[Inspection] = relationship(back_populates="scores")
    item: Mapped[InspectionItem] = relationship()

    def __str__(self) -> str:
        return f"{self.item.name if self.item else ''} {self.score}"


class AssessmentIndicator(Versioned, db.Model):
    __tablename__ = "assessment_indicator"
    __table_args__ = (CheckConstraint("points >= 0", name="indicator_points_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    points: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    method: Mapped[IndicatorMethod] = mapped_column(code_enum(IndicatorMethod, "indicator_method"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name


class Accountability(TimestampMixin, Versioned, db.Model):
    __tablename__ = "accountability"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_period.id", ondelete="RESTRICT"), index=True
    )
    village_id: Mapped[int] = mapped_column(
        ForeignKey("village.id", ondelete="RESTRICT"), index=True
    )
    person: Mapped[str] = mapped_column(String(50))
    line: Mapped[AgreementLine] = mapped_column(code_enum(AgreementLine, "accountability_line"))
    position: Mapped[str | None] = mapped_column(String(50))
    problem: Mapped[str] = mapped_column(Text)
    action: Mapped[AccountabilityAction] = mapped_column(
        code_enum(AccountabilityAction, "accountability_action")
    )
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[AccountabilityStatus] = mapped_column(
        code_enum(AccountabilityStatus, "accountability_status"),
        default=AccountabilityStatus.PROPOSED,
    )

    period: Mapped[AssessmentPeriod] = relationship()
    village: Mapped[Village] = relationship()


# --- Imports and audit -----------------------------------------------------------------


class ImportBatch(db.Model):
    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[ImportSource] = mapped_column(code_enum(ImportSource, "import_source"))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    n_new: Mapped[int] = mapped_column(Integer, default=0)
    n_updated: Mapped[int] = mapped_column(Integer, default=0)
    n_rejected: Mapped[int] = mapped_column(Integer, default=0)
    #: Rows already in the register exactly as the file has them (a re-import's rows).
    n_unchanged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The date the list speaks for (名单日期): household categories it sets and the status
    #: of the children it adds start on it. NULL for batches imported before it was asked.
    list_date: Mapped[dt.date | None] = mapped_column(Date)

    user: Mapped[User | None] = relationship()


class AuditLog(db.Model):
    """Append-only: the panel offers no edit or delete, and nothing in the code updates it."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_table_record", "table_name", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    username: Mapped[str | None] = mapped_column(String(50))
    ip: Mapped[str | None] = mapped_column(String(45))
    action: Mapped[AuditAction] = mapped_column(code_enum(AuditAction, "audit_action"), index=True)
    table_name: Mapped[str | None] = mapped_column(String(50))
    record_id: Mapped[str | None] = mapped_column(String(50))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(500))

    user: Mapped[User | None] = relationship()


class ExportRecord(db.Model):
    """One issued workbook, archived under ``exports/<year>/`` so it can be downloaded again.

    Who, when, which report with which filters, how many rows, whether ID and phone numbers
    were masked, and the file's SHA-256 — enough to show what was handed out, and that the
    archived file is still the one handed out.
    """

    __tablename__ = "export_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    report: Mapped[str] = mapped_column(String(60), index=True)
    title: Mapped[str] = mapped_column(String(120))
    path: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    username: Mapped[str | None] = mapped_column(String(50))
    role: Mapped[Role] = mapped_column(code_enum(Role, "export_role"))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    masked: Mapped[bool] = mapped_column(Boolean, default=True)

    user: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return self.title


# --- 动态监测预警: absence reports and alerts ----------------------------------------------


class AbsenceReport(TimestampMixin, Versioned, db.Model):
    """A school's report of a pupil's unexcused absence: from a day, for a number of
    consecutive school days. At or above the threshold (``alerts.absence_threshold``) it
    raises a 缺勤超限 alert for the school line."""

    __tablename__ = "absence_report"
    __table_args__ = (
        CheckConstraint("days >= 1 AND days <= 365", name="absence_days_range"),
        Index("ix_absence_report_from", "from_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"), index=True)
    #: The reporting school (the child's school when reported): the alert's owner.
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="SET NULL"), index=True
    )
    from_on: Mapped[dt.date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    reported_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    reported_by_name: Mapped[str | None] = mapped_column(String(50))

    child: Mapped[Child] = relationship()
    school: Mapped[School | None] = relationship()
    reported_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"缺勤报告#{self.id}"


class Alert(Versioned, db.Model):
    """One 动态监测预警: a condition found on a child, owned by one line (村 or 学校),
    due by a day, closed by an action with a note.

    ``source_key`` names the occurrence that raised it (the status change, the absence
    report, the case's 失联 step, the out-of-school spell): unique per kind, so the same
    occurrence never raises a second alert, open or closed — a new occurrence does.
    """

    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("kind", "source_key", name="uq_alert_kind_source"),
        Index("ix_alert_open_village", "status", "owner_line", "village_id"),
        Index("ix_alert_open_school", "status", "owner_line", "school_id"),
        CheckConstraint(
            "status <> 'closed' OR (closed_action IS NOT NULL AND closed_at IS NOT NULL)",
            name="alert_closed_has_action",
        ),
        CheckConstraint("due_on >= raised_on", name="alert_due_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AlertKind] = mapped_column(code_enum(AlertKind, "alert_kind"))
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"), index=True)
    source_key: Mapped[str] = mapped_column(String(40))
    owner_line: Mapped[AgreementLine] = mapped_column(code_enum(AgreementLine, "alert_line"))
    #: The child's village (the owner for the village line; kept for both lines).
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"))
    #: The owning school, for the school line.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="SET NULL"))
    raised_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    detail: Mapped[str] = mapped_column(Text)
    status: Mapped[AlertStatus] = mapped_column(
        code_enum(AlertStatus, "alert_status"), default=AlertStatus.OPEN
    )
    closed_action: Mapped[AlertAction | None] = mapped_column(
        code_enum(AlertAction, "alert_action")
    )
    closed_note: Mapped[str | None] = mapped_column(Text)
    closed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    #: The closer's name as it was (自动 for the scan's own closings).
    closed_by_name: Mapped[str | None] = mapped_column(String(50))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    child: Mapped[Child] = relationship()
    village: Mapped[Village] = relationship()
    school: Mapped[School | None] = relationship()
    closed_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"预警#{self.id}"


# --- 开学排查 (term-start check) ------------------------------------------------------------


class TermCheck(db.Model):
    """A term-start check (开学排查) of one township: every child due at school that term
    is listed once (``TermCheckEntry``) and marked 已到校 / 未到校 by the village or school
    before the deadline (the county wants the figures by 3/20 and 9/20)."""

    __tablename__ = "term_check"
    __table_args__ = (
        UniqueConstraint("township_id", "term", name="uq_term_check_township_term"),
        CheckConstraint("deadline >= opens_on", name="term_check_deadline_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id", ondelete="RESTRICT"))
    #: The term's name as clerks write it: 2026年秋季学期.
    term: Mapped[str] = mapped_column(String(30))
    opens_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    #: When the children still not at school became 疑似 cases (``termcheck.escalate``).
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: A closed check takes no more marks and leaves the home page.
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    township: Mapped[Township] = relationship()
    created_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.term}开学排查"


class TermCheckEntry(db.Model):
    """One child due in a term-start check, and its mark."""

    __tablename__ = "term_check_entry"
    __table_args__ = (
        UniqueConstraint("campaign_id", "child_id", name="uq_term_check_entry_child"),
        CheckConstraint(
            "result <> 'absent' OR reason IS NOT NULL", name="term_check_entry_absent_reason"
        ),
        Index("ix_term_check_entry_campaign_result", "campaign_id", "result"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("term_check.id", ondelete="CASCADE"))
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"), index=True)
    result: Mapped[TermCheckResult] = mapped_column(
        code_enum(TermCheckResult, "term_check_result"), default=TermCheckResult.UNMARKED
    )
    reason: Mapped[OutOfSchoolReason | None] = mapped_column(
        code_enum(OutOfSchoolReason, "term_check_reason")
    )
    reason_note: Mapped[str | None] = mapped_column(String(200))
    marked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    marked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: The 疑似 case the escalation opened for this child (none twice).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("dropout_case.id", ondelete="SET NULL"))

    campaign: Mapped[TermCheck] = relationship()
    child: Mapped[Child] = relationship()
    marked_by: Mapped[User | None] = relationship()
    case: Mapped[DropoutCase | None] = relationship()


@event.listens_for(User, "before_update")
def _bump_user_version(mapper: Any, connection: Any, user: User) -> None:
    """A new version for an edit of the account, none for a login's bookkeeping.

    The UPDATE still says ``WHERE version = :loaded``, so two edits cannot overwrite each
    other; a clerk logging in while an admin edits their account outdates nothing.
    """
    state = inspect(user)
    edited = [
        attr.key
        for attr in state.attrs
        if attr.key not in User.LOGIN_BOOKKEEPING
        and attr.key != "version"
        and attr.history.has_changes()
    ]
    if edited:
        user.version = (user.version or 0) + 1


# --- 送教上门 sessions (home teaching of severely disabled children) ------------------------


class HomeTeachingSession(TimestampMixin, Versioned, db.Model):
    """One 送教上门 visit: a teacher taught a child at home on a day, for some hours.

    The frequency each child is owed is a setting of the scheme
    (``admin_app.cases.hometeaching.required_per_month``); these rows are what it is
    counted against and what the 送教上门登记表 lists.
    """

    __tablename__ = "home_teaching_session"
    __table_args__ = (
        CheckConstraint("hours > 0 AND hours <= 8", name="home_teaching_hours_range"),
        # A child's sessions of a month, and the month's sessions of many children.
        Index("ix_home_teaching_child_date", "child_id", "taught_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    taught_on: Mapped[dt.date] = mapped_column(Date)
    teacher: Mapped[str] = mapped_column(String(50))
    #: The teaching school (the recording school user's, else the child's school).
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="SET NULL"), index=True
    )
    hours: Mapped[Decimal] = mapped_column(Numeric(3, 1))
    content: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    #: Where the photo or the signed record sheet is kept (number or place), as the
    #: agreements' 扫描件 is: the panel stores no image files.
    photo_ref: Mapped[str | None] = mapped_column(String(255))
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    child: Mapped[Child] = relationship()
    school: Mapped[School | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"送教上门 {self.taught_on}"


# --- 月报/学期报 上报 (reporting periods and submissions) ---------------------------------


class ReportSubmission(Versioned, db.Model):
    """One version of a township's 月报 or 学期报, with its figures frozen when prepared.

    ``snapshot`` holds the figures and the three registers as of ``as_of`` (JSON text),
    stored, never recomputed: the county must read later what was signed. The workflow and
    its locking are ``admin_app.reports.submissions``; a correction is a new row (``revision``
    + 1, ``supersedes``) with its reason, the submitted one kept.
    """

    __tablename__ = "report_submission"
    __table_args__ = (
        UniqueConstraint(
            "township_id", "kind", "period", "revision", name="uq_report_submission_revision"
        ),
        CheckConstraint("revision >= 1", name="report_submission_revision_positive"),
        CheckConstraint(
            "supersedes_id IS NULL OR correction_reason IS NOT NULL",
            name="report_submission_correction_reason",
        ),
        Index("ix_report_submission_period", "township_id", "kind", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id", ondelete="RESTRICT"))
    kind: Mapped[ReportKind] = mapped_column(code_enum(ReportKind, "report_kind"))
    #: The period's code: ``2026-10`` for a month, ``2026-autumn`` / ``2026-spring`` for a term.
    period: Mapped[str] = mapped_column(String(20))
    period_label: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[dt.date] = mapped_column(Date)
    as_of: Mapped[dt.date] = mapped_column(Date)
    #: The report's 版次 (1, 2 …); ``version`` is the optimistic-locking counter.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    #: NO ACTION, not RESTRICT: a version is never deleted while a later one names it, and
    #: a whole-table delete (tests, a reset) is checked at the statement's end.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("report_submission.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[SubmissionStatus] = mapped_column(
        code_enum(SubmissionStatus, "submission_status"),
        default=SubmissionStatus.PREPARED,
        index=True,
    )
    prepared_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    prepared_by_name: Mapped[str | None] = mapped_column(String(50))
    prepared_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    reviewed_by_name: Mapped[str | None] = mapped_column(String(50))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    submitted_by_name: Mapped[str | None] = mapped_column(String(50))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    return_reason: Mapped[str | None] = mapped_column(Text)
    #: Every step as it was taken ([{"step", "by", "at", "note"}]), 退回 and 重新填报 included.
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    snapshot: Mapped[str] = mapped_column(Text)

    township: Mapped[Township] = relationship()
    supersedes: Mapped[ReportSubmission | None] = relationship(remote_side=[id])

    def __str__(self) -> str:
        return f"{self.period_label}{self.kind.label}（第{self.revision}版）"
