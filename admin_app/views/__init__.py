"""Assemble the panel: one Admin per app, one view class per file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask_admin import Admin, BaseView
from flask_admin.theme import Bootstrap4Theme

from ..access.security import csp_nonce
from ..extensions import db
from ..models import (
    AbsenceReport,
    Accountability,
    AssessmentIndicator,
    AssessmentPeriod,
    AssistancePlan,
    AssistanceRecord,
    AuditLog,
    Child,
    DropoutCase,
    HomeTeachingSession,
    Household,
    Inspection,
    InspectionItem,
    InspectionScore,
    ResponsibilityAgreement,
    School,
    User,
    Village,
)
from .absence import AbsenceView
from .accountability import AccountabilityView
from .agreement import AgreementView
from .alerts import AlertView
from .assistance import AssistanceView
from .audit import AuditView
from .case import CaseView
from .child import ChildView
from .crosscheck import CrossCheckView
from .data_import import ImportView
from .hometeaching import HomeTeachingView
from .hometeaching_overview import HomeTeachingOverviewView
from .household import HouseholdView
from .index import DashboardView
from .indicator import IndicatorView
from .inspection import InspectionView
from .inspection_item import InspectionItemView
from .password import PasswordView
from .period import PeriodView
from .plan import PlanView
from .ranking import RankingView
from .reports import ReportsView
from .school import SchoolView
from .score import ScoreView
from .submission import SubmissionView
from .termcheck import TermCheckView
from .termcheck_mark import TermCheckMarkView
from .user import UserView
from .verification import VerificationView
from .village import VillageView

TRANSLATIONS_DIR = str(Path(__file__).resolve().parent.parent / "translations")

REGISTERS = "台账"
INSPECTION = "督导考核"
SETTINGS = "系统设置"
LISTS = "排查比对"


@dataclass(frozen=True)
class Screen:
    """One menu entry: where it sits, what it is called, the view and the model it shows.

    The endpoint is also the screen's key in ``admin_app.access.permissions``.
    """

    category: str | None
    name: str
    view: type[BaseView]
    endpoint: str
    model: type | None = None
    url: str | None = None


#: The menu in its order. A screen without a category is a top-level entry.
SCREENS = (
    Screen(REGISTERS, "适龄儿童少年", ChildView, "child", Child),
    Screen(REGISTERS, "家庭户", HouseholdView, "household", Household),
    Screen(REGISTERS, "目标责任书", AgreementView, "agreement", ResponsibilityAgreement),
    Screen(REGISTERS, "帮扶方案", PlanView, "plan", AssistancePlan),
    Screen(REGISTERS, "帮扶记录", AssistanceView, "assistance", AssistanceRecord),
    Screen(REGISTERS, "控辍案件", CaseView, "case", DropoutCase),
    # 送教上门 (home teaching): the sessions, and the month's frequency per child.
    Screen(REGISTERS, "送教上门记录", HomeTeachingView, "hometeach", HomeTeachingSession),
    Screen(
        REGISTERS,
        "送教上门情况",
        HomeTeachingOverviewView,
        "hometeach_overview",
        url="/admin/hometeach_overview",
    ),
    Screen(INSPECTION, "督导检查", InspectionView, "inspection", Inspection),
    Screen(INSPECTION, "督导评分", ScoreView, "score", InspectionScore),
    Screen(INSPECTION, "村级考核排名", RankingView, "ranking"),
    Screen(INSPECTION, "问责记录", AccountabilityView, "accountability", Accountability),
    Screen(None, "报表导出", ReportsView, "reports"),
    # 月报/学期报 上报 (reporting periods and submissions)
    Screen(None, "月报/学期报上报", SubmissionView, "submission", url="/admin/submission"),
    Screen(INSPECTION, "考核周期", PeriodView, "period", AssessmentPeriod),
    Screen(INSPECTION, "考核指标", IndicatorView, "indicator", AssessmentIndicator),
    Screen(SETTINGS, "检查项目", InspectionItemView, "inspection_item", InspectionItem),
    Screen(SETTINGS, "行政村", VillageView, "village", Village),
    Screen(SETTINGS, "学校", SchoolView, "school", School),
    Screen(SETTINGS, "用户", UserView, "user", User),
    Screen(SETTINGS, "操作日志", AuditView, "audit", AuditLog),
    Screen(None, "修改密码", PasswordView, "password", url="/admin/password"),
    Screen(LISTS, "名单导入", ImportView, "import", url="/admin/import"),
    Screen(LISTS, "待核实儿童", VerificationView, "verify", url="/admin/verify"),
    Screen(LISTS, "比对核查", CrossCheckView, "crosscheck", url="/admin/crosscheck"),
    # 动态监测预警
    Screen(None, "动态监测预警", AlertView, "alerts", url="/admin/alerts"),
    Screen(REGISTERS, "缺勤报告", AbsenceView, "absence", AbsenceReport),
    # 开学排查 (term-start check); the marking screen is reached from it, not the menu.
    Screen(LISTS, "开学排查", TermCheckView, "termcheck", url="/admin/termcheck"),
    Screen(LISTS, "标记到校", TermCheckMarkView, "termcheck_mark", url="/admin/termcheck_mark"),
)


def build_admin(app: Flask) -> Admin:
    admin = Admin(
        app,
        name=app.config.get("PANEL_NAME", "控辍保学管理平台"),
        url="/admin",
        index_view=DashboardView(name="首页", url="/admin"),
        theme=Bootstrap4Theme(base_template="admin/app_base.html", swatch="cerulean", fluid=True),
        # Chinese for the few Flask-Admin messages its zh_Hans_CN catalogue lacks.
        translations_path=TRANSLATIONS_DIR,
        # Its inline <script> blocks carry the nonce the Content-Security-Policy names.
        csp_nonce_generator=csp_nonce,
    )
    for screen in SCREENS:
        options = {"name": screen.name, "endpoint": screen.endpoint, "category": screen.category}
        if screen.url is not None:
            options["url"] = screen.url
        if screen.model is not None:
            admin.add_view(screen.view(screen.model, db, **options))
        else:
            admin.add_view(screen.view(**options))
    return admin
