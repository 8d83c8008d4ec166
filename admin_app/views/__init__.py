"""Assemble the panel: one Admin per app, one view class per file."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from ..extensions import db
from ..models import (
    Accountability,
    AssessmentIndicator,
    AssessmentPeriod,
    AssistancePlan,
    AssistanceRecord,
    AuditLog,
    Child,
    DropoutCase,
    Household,
    Inspection,
    InspectionItem,
    InspectionScore,
    ResponsibilityAgreement,
    School,
    User,
)
from ..models import Village as VillageModel
from ..security import csp_nonce
from .accountability import AccountabilityView
from .agreement import AgreementView
from .assistance import AssistanceView
from .audit import AuditView
from .case import CaseView
from .child import ChildView
from .crosscheck import CrossCheckView
from .data_import import ImportView
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
from .user import UserView
from .verification import VerificationView
from .village import VillageView

TRANSLATIONS_DIR = str(Path(__file__).resolve().parent.parent / "translations")

REGISTERS = "台账"
INSPECTION = "督导考核"
SETTINGS = "系统设置"
LISTS = "排查比对"


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
    s = db
    admin.add_view(ChildView(Child, s, name="适龄儿童少年", endpoint="child", category=REGISTERS))
    admin.add_view(
        HouseholdView(Household, s, name="家庭户", endpoint="household", category=REGISTERS)
    )
    admin.add_view(
        AgreementView(
            ResponsibilityAgreement, s, name="目标责任书", endpoint="agreement", category=REGISTERS
        )
    )
    admin.add_view(
        PlanView(AssistancePlan, s, name="帮扶方案", endpoint="plan", category=REGISTERS)
    )
    admin.add_view(
        AssistanceView(
            AssistanceRecord, s, name="帮扶记录", endpoint="assistance", category=REGISTERS
        )
    )
    admin.add_view(CaseView(DropoutCase, s, name="控辍案件", endpoint="case", category=REGISTERS))
    admin.add_view(
        InspectionView(Inspection, s, name="督导检查", endpoint="inspection", category=INSPECTION)
    )
    admin.add_view(
        ScoreView(InspectionScore, s, name="督导评分", endpoint="score", category=INSPECTION)
    )
    admin.add_view(RankingView(name="村级考核排名", endpoint="ranking", category=INSPECTION))
    admin.add_view(
        AccountabilityView(
            Accountability, s, name="问责记录", endpoint="accountability", category=INSPECTION
        )
    )
    admin.add_view(ReportsView(name="报表导出", endpoint="reports"))
    admin.add_view(
        PeriodView(AssessmentPeriod, s, name="考核周期", endpoint="period", category=INSPECTION)
    )
    admin.add_view(
        IndicatorView(
            AssessmentIndicator, s, name="考核指标", endpoint="indicator", category=INSPECTION
        )
    )
    admin.add_view(
        InspectionItemView(
            InspectionItem, s, name="检查项目", endpoint="inspection_item", category=SETTINGS
        )
    )
    admin.add_view(
        VillageView(VillageModel, s, name="行政村", endpoint="village", category=SETTINGS)
    )
    admin.add_view(SchoolView(School, s, name="学校", endpoint="school", category=SETTINGS))
    admin.add_view(UserView(User, s, name="用户", endpoint="user", category=SETTINGS))
    admin.add_view(AuditView(AuditLog, s, name="操作日志", endpoint="audit", category=SETTINGS))
    admin.add_view(PasswordView(name="修改密码", endpoint="password", url="/admin/password"))
    admin.add_view(
        ImportView(name="名单导入", endpoint="import", url="/admin/import", category=LISTS)
    )
    admin.add_view(
        VerificationView(name="待核实儿童", endpoint="verify", url="/admin/verify", category=LISTS)
    )
    admin.add_view(
        CrossCheckView(
            name="比对核查", endpoint="crosscheck", url="/admin/crosscheck", category=LISTS
        )
    )
    return admin
