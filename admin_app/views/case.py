"""控辍案件: the case list, opening a case, and the lifecycle as buttons with small forms.

No screen edits a case's status: each step is a POST to ``/admin/case/step/<step>/?id=``
that calls the matching function of ``admin_app.cases.core`` (which checks the transition,
records the event and changes the child's status) and commits. A refused step re-renders
the case page with the messages next to the fields and the typed values kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..access.auth import may
from ..access.permissions import PLAN, VISIT
from ..access.scope import apply_scope, get_scoped
from ..cases import core as cases
from ..cases.core import CaseChanged, CaseError
from ..cases.notices import notice_context
from ..choices import (
    PLACEMENT_STATUSES,
    CaseEventKind,
    CaseKind,
    CaseSource,
    CaseStatus,
    ChildStatus,
    OutOfSchoolReason,
)
from ..extensions import db
from ..models import AssistanceRecord, Child, DropoutCase, Notice, School
from ..reports import columns
from ..util import locking
from ..util.dates import local_today
from ..util.sqlutil import starts_with
from .base import INTEGRITY_MESSAGE, SecureModelView, VersionField
from .fields import LocalDateField, place_errors
from .options import village_options
from .sections import Section, sections
from .widgets import OptionsFilter, enum_filter

C = DropoutCase


# --- Forms -------------------------------------------------------------------------------------


def _required_date(label: str) -> LocalDateField:
    return LocalDateField(label, validators=[InputRequired(f"请填写{label}")], default=local_today)


def _note(label: str = "说明") -> TextAreaField:
    return TextAreaField(label, validators=[Optional(), Length(max=2000)])


class CaseForm(FlaskForm):
    """Every form of the case page carries the case's version as the page showed it."""

    version = VersionField()


class StepForm(CaseForm):
    on = _required_date("日期")
    note = _note()


class ConfirmForm(StepForm):
    reason = SelectField(
        "未入学/辍学原因",
        choices=[
            SelectChoice("", "（沿用案件登记的原因）"),
            *(SelectChoice(code, label) for code, label in OutOfSchoolReason.choices()),
        ],
        default="",
    )
    reason_note = StringField("原因说明", validators=[Optional(), Length(max=200)])


class EscalationForm(StepForm):
    skip_reason = TextAreaField(
        "跳过前序步骤的理由",
        validators=[Optional(), Length(max=1000)],
        description="前序步骤未记录时必填，理由随案保存",
    )


class RectifyForm(EscalationForm):
    deadline = LocalDateField("改正期限", validators=[Optional()])


class ReturnForm(StepForm):
    placement = SelectField(
        "安置方式",
        choices=[SelectChoice(s.value, s.label) for s in PLACEMENT_STATUSES],
        default=ChildStatus.ENROLLED.value,
    )
    school = SelectField("就读学校", choices=[], validate_choice=False)
    grade = IntegerField("年级", validators=[Optional(), NumberRange(1, 9, "年级应在1–9之间")])
    class_name = StringField("班级", validators=[Optional(), Length(max=20)])


class FollowUpForm(StepForm):
    until = LocalDateField(
        "跟踪截止日期",
        validators=[Optional()],
        description=f"留空则为约一个学期（{cases.FOLLOW_UP_DAYS}天）",
    )


class RelapseForm(CaseForm):
    """Fields in reading order: when, why (the child's new 辍学 reason), then the note."""

    on = _required_date("复辍日期")
    reason = SelectField(
        "复辍原因",
        choices=[
            SelectChoice("", "（请选择）"),
            *(SelectChoice(code, label) for code, label in OutOfSchoolReason.choices()),
        ],
        default="",
    )
    reason_note = StringField(
        "原因说明",
        validators=[Optional(), Length(max=200)],
        description="原因为“其他”时必填",
    )
    note = _note()


class VisitForm(CaseForm):
    visited_on = _required_date("走访日期")
    persons = StringField("走访人员", validators=[Optional(), Length(max=200)])
    result = _note("走访结果")


class NoticeForm(CaseForm):
    issued_on = _required_date("开具日期")
    deadline = LocalDateField("限期（到校日期）", validators=[Optional()])
    note = _note()


class NoticeResultForm(CaseForm):
    served_on = _required_date("送达日期")
    served_to = StringField("受送达人（签收人）", validators=[Optional(), Length(max=50)])
    result = _note("送达及履行情况")
    complied = SelectField(
        "履行情况",
        choices=[
            SelectChoice("", "未到期/未记录"),
            SelectChoice("yes", "已按期履行"),
            SelectChoice("no", "逾期未履行"),
        ],
        default="",
    )


class PlanForm(CaseForm):
    measures = TextAreaField("帮扶措施", validators=[Optional(), Length(max=2000)])
    start_on = _required_date("开始日期")
    review_on = LocalDateField("复核日期", validators=[Optional()])
    village_person = StringField("村级责任人", validators=[Optional(), Length(max=50)])
    school_person = StringField("学校责任人", validators=[Optional(), Length(max=50)])
    whole_household = BooleanField("一家一案（整户帮扶）")


# --- Steps -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A button of the case page and its small form. Who may take it is the case screen's
    row for the step in ``admin_app.access.permissions``; when, ``admin_app.cases.core``."""

    #: The button's text.
    label: str
    form: type[FlaskForm]
    #: ``run(case, form, actor)`` performs the step and returns the success message.
    run: Callable[[DropoutCase, Any, Any], str]
    button: str = "btn-outline-primary"


def _plain(fn: Callable[..., Any], done: str) -> Callable[[DropoutCase, Any, Any], str]:
    def run(case: DropoutCase, form: Any, actor: Any) -> str:
        fn(db.session, case, on=form.on.data, actor=actor, note=form.note.data)
        return done

    return run


def _confirm(case: DropoutCase, form: Any, actor: Any) -> str:
    cases.confirm_case(
        db.session,
        case,
        on=form.on.data,
        actor=actor,
        note=form.note.data,
        reason=OutOfSchoolReason(form.reason.data) if form.reason.data else None,
        reason_note=form.reason_note.data,
    )
    return f"已确认，儿童就学状态为“{ChildStatus(case.kind.value).label}”"


def _escalation(step: CaseEventKind) -> Callable[[DropoutCase, Any, Any], str]:
    def run(case: DropoutCase, form: Any, actor: Any) -> str:
        event = cases.escalate(
            db.session,
            case,
            step,
            on=form.on.data,
            actor=actor,
            note=form.note.data,
            deadline=getattr(form, "deadline", None) and form.deadline.data,
            skip_reason=form.skip_reason.data,
        )
        if event.notice is not None:
            return f"已记录{step.label}，并开具《{event.notice.kind.label}》{event.notice.number}"
        return f"已记录{step.label}"

    return run


def _return(case: DropoutCase, form: Any, actor: Any) -> str:
    school = None
    if form.school.data:
        school = get_scoped(db.session, School, form.school.data, current_user)
        if school is None:
            raise CaseError({"school": "所选学校不存在或不在您的管辖范围内"})
    placement = ChildStatus(form.placement.data) if form.placement.data else None
    cases.record_return(
        db.session,
        case,
        on=form.on.data,
        actor=actor,
        placement=placement,
        school=school,
        grade=form.grade.data,
        class_name=form.class_name.data,
        note=form.note.data,
    )
    return f"已复学，儿童就学状态为“{placement.label if placement else ''}”"


def _follow_up(case: DropoutCase, form: Any, actor: Any) -> str:
    cases.start_follow_up(
        db.session, case, on=form.on.data, actor=actor, until=form.until.data, note=form.note.data
    )
    return f"已转入巩固跟踪，至{case.follow_up_until:%Y-%m-%d}"


def _relapse(case: DropoutCase, form: Any, actor: Any) -> str:
    cases.record_relapse(
        db.session,
        case,
        on=form.on.data,
        actor=actor,
        reason=OutOfSchoolReason(form.reason.data) if form.reason.data else None,
        reason_note=form.reason_note.data,
        note=form.note.data,
    )
    return "已登记复辍：案件回到“劝返中”，儿童就学状态为“辍学”"


def _visit(case: DropoutCase, form: Any, actor: Any) -> str:
    visit = cases.add_visit(
        db.session,
        case,
        visited_on=form.visited_on.data,
        persons=form.persons.data,
        result=form.result.data,
    )
    return f"已登记第{visit.seq}次走访"


def _notice(case: DropoutCase, form: Any, actor: Any) -> str:
    notice = cases.issue_notice(
        db.session,
        case,
        cases.NOTICE_FOR_KIND[case.kind],
        issued_on=form.issued_on.data,
        deadline=form.deadline.data,
        actor=actor,
        note=form.note.data,
    )
    return f"已开具《{notice.kind.label}》{notice.number}"


def _plan(case: DropoutCase, form: Any, actor: Any) -> str:
    cases.add_plan(
        db.session,
        case,
        measures=form.measures.data,
        start_on=form.start_on.data,
        review_on=form.review_on.data,
        village_person=form.village_person.data,
        school_person=form.school_person.data,
        whole_household=form.whole_household.data,
    )
    return "已制定帮扶方案"


E = CaseEventKind
#: The case page's steps, keyed by the event each records (``/admin/case/step/<key>/``);
#: a visit and a plan are records that change no status.
STEPS: dict[str, Step] = {
    E.VERIFY: Step("开始核查", StepForm, _plain(cases.start_verification, "已开始核查")),
    E.CONFIRM: Step("确认未入学/辍学", ConfirmForm, _confirm, "btn-outline-danger"),
    E.ELSEWHERE: Step(
        "核实为异地就读", StepForm, _plain(cases.close_as_elsewhere, "已核实异地就读并结案")
    ),
    E.EXEMPTED: Step(
        "核实为免缓学", StepForm, _plain(cases.close_as_exempted, "已核实免缓学并结案")
    ),
    E.SUSPENDED: Step("核实为休学", StepForm, _plain(cases.close_as_suspended, "已核实休学并结案")),
    E.MOVED_OUT: Step(
        "核实为迁出/死亡", StepForm, _plain(cases.close_as_moved_out, "已核实并结案")
    ),
    E.IN_SCHOOL: Step(
        "核实在校（误报）",
        StepForm,
        _plain(cases.close_as_in_school, "已核实在校（误报）并结案"),
        "btn-outline-success",
    ),
    E.UNREACHED: Step(
        "登记失联",
        StepForm,
        _plain(cases.mark_unreachable, "已登记失联：案件保持在办，列入失联名单报县政府"),
        "btn-outline-warning",
    ),
    E.PERSUADE: Step("开始劝返", StepForm, _plain(cases.start_persuasion, "已进入劝返")),
    E.CRITICISM: Step("批评教育", EscalationForm, _escalation(E.CRITICISM)),
    E.RECTIFY: Step("责令限期改正", RectifyForm, _escalation(E.RECTIFY)),
    E.JUDICIAL: Step("司法文书", EscalationForm, _escalation(E.JUDICIAL)),
    E.ACCOUNTABILITY: Step("依法追责", EscalationForm, _escalation(E.ACCOUNTABILITY)),
    E.RETURN: Step("复学安置", ReturnForm, _return, "btn-outline-success"),
    E.FOLLOW_UP: Step("转入巩固跟踪", FollowUpForm, _follow_up),
    E.CLOSE: Step("销号", StepForm, _plain(cases.close_case, "已销号"), "btn-success"),
    E.RELAPSE: Step("登记复辍", RelapseForm, _relapse, "btn-outline-danger"),
    VISIT: Step("登记走访", VisitForm, _visit),
    E.NOTICE: Step("开具通知书", NoticeForm, _notice),
    PLAN: Step("制定帮扶方案", PlanForm, _plan),
}


def offered_steps(case: DropoutCase) -> list[str]:
    """The steps shown as buttons: allowed by the case's status and the user's role."""
    names: list[str] = list(cases.allowed_steps(case))
    if case.status in cases.VISIT_FROM:
        names.append(VISIT)
    if case.status in cases.NOTICE_FROM:
        names.append(E.NOTICE)
    if case.status not in cases.CLOSED_STATUSES:
        names.append(PLAN)
    return [name for name in names if may("case", name)]


def school_choices() -> list[SelectChoice]:
    stmt = apply_scope(select(School.id, School.name).order_by(School.name), School, current_user)
    return [SelectChoice("", "（不变）")] + [
        SelectChoice(str(i), name) for i, name in db.session.execute(stmt)
    ]


# --- List filters ------------------------------------------------------------------------------


class OverdueFilter(BaseSQLAFilter):
    """督办提醒: cases with no visit within N days of opening, or past a notice deadline.

    The criteria depend on today and on N, so they are built per request, not at start-up.
    """

    OPTIONS = (("visit", "逾期未走访"), ("deadline", "文书限期已过"), ("any", "任一逾期"))

    def __init__(self, column: Any, name: str) -> None:
        super().__init__(column, name, options=self.OPTIONS)

    def validate(self, value: str) -> bool:
        return value in dict(self.OPTIONS)

    def apply(self, query: Any, value: str, alias: Any = None) -> Any:
        return query.filter(overdue_criterion(value))

    def operation(self) -> str:
        return "为"


def overdue_criterion(value: str, today: dt.date | None = None) -> Any:
    today = today or local_today()
    visit = cases.visit_overdue(today, cases.visit_days(db.session))
    deadline = cases.deadline_overdue(today)
    return {"visit": visit, "deadline": deadline}.get(value, or_(visit, deadline))


def _in_village(village_id: int) -> Any:
    return C.child_id.in_(select(Child.id).where(Child.village_id == village_id))


# --- Formatters --------------------------------------------------------------------------------


def _child_link(view: Any, context: Any, model: DropoutCase, name: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(
        url_for("child.details_view", id=model.child_id), model.child.name
    )


def _case_link(view: Any, context: Any, model: DropoutCase, name: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(
        url_for("case.details_view", id=model.id), model.child.name
    )


# --- The view ----------------------------------------------------------------------------------


class CaseView(SecureModelView):
    details_template = "admin/case_details.html"
    search_hint = "儿童姓名开头"

    column_list = (
        "child",
        "child.village",
        "kind",
        "status",
        "discovered_on",
        "source",
        "reason",
        "village_person",
        "school_person",
        "closed_on",
    )
    column_details_list = (
        "child",
        "child.village",
        "child.school",
        "child.status",
        "kind",
        "status",
        "discovered_on",
        "source",
        "reason",
        "reason_note",
        "family_situation",
        "village_person",
        "school_person",
        "follow_up_until",
        "closed_on",
        "outcome",
    )
    column_labels = columns.labels(DropoutCase)
    column_select_related_list = (C.child,)
    column_formatters = {"child": _case_link}
    column_formatters_detail = {"child": _child_link}
    column_sortable_list = ("discovered_on", "status", "kind", "closed_on")
    column_default_sort = [("discovered_on", True), ("id", True)]
    column_filters = (
        enum_filter(C.status, "案件状态", CaseStatus),
        enum_filter(C.kind, "案件类型", CaseKind),
        OptionsFilter(C.id, "行政村", village_options, int, criterion=_in_village),
        enum_filter(C.source, "来源", CaseSource),
        OverdueFilter(C.id, "督办提醒"),
        "discovered_on",
    )
    #: Opening fields; status, dates of steps and the outcome are the lifecycle's alone.
    form_columns = (
        "child",
        "kind",
        "discovered_on",
        "source",
        "reason",
        "reason_note",
        "family_situation",
        "village_person",
        "school_person",
        "open_note",
    )
    form_extra_fields = {"open_note": TextAreaField("立案说明", validators=[Optional()])}
    form_rules = sections(
        Section("儿童与立案", ("child", "kind", "discovered_on", "source", "open_note")),
        Section("原因与家庭", ("reason", "reason_note", "family_situation")),
        Section("责任人", ("village_person", "school_person")),
    )
    edit_template = "admin/record_edit.html"
    form_args = {
        "discovered_on": {"description": "发现未入学/辍学的日期，不能晚于今天"},
        "reason": {"description": "疑似阶段可暂不选择，确认时必填"},
        "village_person": {"description": "政府线（村级）责任人"},
        "school_person": {"description": "学校线责任人（班主任或校长）"},
    }
    form_ajax_refs = {"child": {"fields": ("name",)}}
    #: Fields the edit form keeps: who the case is about and when it began stay fixed.
    EDITABLE = frozenset(
        {
            "source",
            "reason",
            "reason_note",
            "family_situation",
            "village_person",
            "school_person",
            "csrf_token",
            "version",
        }
    )

    def record_heading(self, model: Any) -> tuple[str, str] | None:
        child = model.child
        where = [
            child.village.name if child and child.village else "",
            f"{model.kind.label}案件" if model.kind else "",
            model.status.label if model.status else "",
            f"发现于{model.discovered_on}" if model.discovered_on else "",
        ]
        return (child.name if child else "控辍案件"), " · ".join(p for p in where if p)

    def search_criterion(self, term: str) -> Any:
        return C.child_id.in_(select(Child.id).where(starts_with(Child.name, term)))

    # --- Opening a case ----------------------------------------------------------------------

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        if request.method == "GET":
            child = get_scoped(db.session, Child, request.args.get("child"), current_user)
            if child is not None:
                form.child.data = child
                if child.status in (ChildStatus.NOT_ENROLLED, ChildStatus.DROPOUT):
                    form.kind.data = child.status.value
                    if child.status_reason is not None:
                        form.reason.data = child.status_reason.value
                        form.reason_note.data = child.status_note
            if not form.discovered_on.data:
                form.discovered_on.data = local_today()
        return form

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        for name in [field.name for field in form if field.name not in self.EDITABLE]:
            del form[name]
        return form

    def create_model(self, form: Any) -> Any:
        def choice(enum_class: Any, value: Any) -> Any:
            return enum_class(value) if value else None

        try:
            case = cases.open_case(
                db.session,
                form.child.data,
                choice(CaseKind, form.kind.data),
                choice(CaseSource, form.source.data),
                choice(OutOfSchoolReason, form.reason.data),
                on=form.discovered_on.data,
                actor=current_user._get_current_object(),
                reason_note=form.reason_note.data,
                family_situation=form.family_situation.data,
                village_person=form.village_person.data,
                school_person=form.school_person.data,
                note=form.open_note.data,
            )
            db.session.commit()
        except CaseError as exc:
            db.session.rollback()
            self.attach_errors(form, {_open_field(k): v for k, v in exc.errors.items()})
            flash("未立案，请改正以下问题：" + str(exc), "error")
            return False
        return case

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        if model.reason == OutOfSchoolReason.OTHER and not (model.reason_note or "").strip():
            self.attach_errors(form, {"reason_note": "原因为“其他”时须写明具体情况"})
            raise ValidationError("未保存：原因为“其他”时须写明具体情况")

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        return self.get_url(".details_view", id=model.id)

    # --- The case page -----------------------------------------------------------------------

    @expose("/details/")
    def details_view(self) -> Any:
        case = self.get_one(request.args.get("id"))
        return self._render_case(case)

    def _render_case(
        self, case: DropoutCase, failed: tuple[str, Any, list[str]] | None = None
    ) -> Any:
        forms: dict[str, Any] = {}
        for name in offered_steps(case):
            forms[name] = self._blank_form(name, case)
        notice_forms = {}
        if may("case", E.SERVED):
            for notice in case.notices:
                form = NoticeResultForm(formdata=None, prefix=f"n{notice.id}")
                form.version.data = str(case.version)
                if notice.served_on:
                    form.served_on.data = notice.served_on
                form.served_to.data = notice.served_to or notice.addressee
                form.result.data = notice.result
                form.complied.data = {True: "yes", False: "no", None: ""}[notice.complied]
                notice_forms[notice.id] = form
        general: list[str] = []
        open_step = None
        if failed is not None:
            open_step, form, general = failed
            if open_step.startswith("n") and open_step[1:].isdigit():
                notice_forms[int(open_step[1:])] = form
            else:
                forms[open_step] = form
        records = {
            plan.id: db.session.scalars(
                select(AssistanceRecord)
                .where(AssistanceRecord.plan_id == plan.id)
                .order_by(AssistanceRecord.given_on)
            ).all()
            for plan in case.plans
        }
        return self.render(
            self.details_template,
            model=case,
            details_columns=self._details_columns,
            get_value=self.get_detail_value,
            return_url=self.get_url(".index_view"),
            case=case,
            steps=STEPS,
            forms=forms,
            notice_forms=notice_forms,
            open_step=open_step,
            general_errors=general,
            case_closed=case.status in cases.CLOSED_STATUSES,
            escalation=cases.escalation_done(case),
            plan_records=records,
            notice_kind=cases.NOTICE_FOR_KIND[case.kind],
        )

    def _blank_form(self, name: str, case: DropoutCase) -> Any:
        form = STEPS[name].form(formdata=None, prefix=name)
        form.version.data = str(case.version)
        if name == E.RETURN:
            form.school.choices = school_choices()
        if name == VISIT:
            form.persons.data = "、".join(p for p in (case.village_person, case.school_person) if p)
        if name == PLAN:
            form.village_person.data = case.village_person
            form.school_person.data = case.school_person
        return form

    @expose("/step/<step_name>/", methods=("POST",))
    def step_view(self, step_name: str) -> Any:
        name = step_name
        step = STEPS.get(name)
        if step is None:
            abort(404)
        if not may("case", name):
            abort(403)
        case = self.get_one(request.args.get("id"))
        form = step.form(prefix=name)
        if name == E.RETURN:
            form.school.choices = school_choices()
        if not form.validate():
            if form.csrf_token.errors:
                abort(400)
            return self._render_case(case, (name, form, ["未保存，请改正标出的问题。"]))
        actor = current_user._get_current_object()
        case_id = case.id  # readable after a failed flush, unlike the case itself
        try:
            cases.check_version(case, locking.parse_version(form.version.data))
            message = step.run(case, form, actor)
            db.session.commit()
        except CaseChanged as exc:
            return self._refuse_changed(case_id, str(exc))
        except StaleDataError:
            return self._refuse_changed(case_id)
        except CaseError as exc:
            db.session.rollback()
            case = self.get_one(case_id)
            general = place_errors(form, exc.errors)
            return self._render_case(case, (name, form, ["未保存：" + str(exc), *general]))
        except IntegrityError:
            db.session.rollback()
            flash(INTEGRITY_MESSAGE, "error")
            return redirect(self.get_url(".details_view", id=case_id))
        flash(message, "success")
        return redirect(self.get_url(".details_view", id=case.id))

    def _refuse_changed(self, case_id: int, message: str | None = None) -> Any:
        """A step from an outdated page: nothing recorded, say why on the fresh case page."""
        db.session.rollback()
        if message is None:
            message = cases.changed_message(self.get_one(case_id))
        flash(message, "error")
        return redirect(self.get_url(".details_view", id=case_id))

    # --- Notices -------------------------------------------------------------------------------

    def _scoped_notice(self) -> Notice:
        notice = get_scoped(db.session, Notice, request.args.get("id"), current_user)
        if notice is None:
            abort(404)
        return notice

    @expose("/notice/result/", methods=("POST",))
    def notice_result_view(self) -> Any:
        if not may("case", E.SERVED):
            abort(403)
        notice = self._scoped_notice()
        prefix = f"n{notice.id}"
        form = NoticeResultForm(prefix=prefix)
        if not form.validate():
            if form.csrf_token.errors:
                abort(400)
            return self._render_case(notice.case, (prefix, form, ["未保存，请改正标出的问题。"]))
        complied = {"yes": True, "no": False}.get(form.complied.data)
        case_id = notice.case_id
        try:
            cases.check_version(notice.case, locking.parse_version(form.version.data))
            cases.record_notice_result(
                db.session,
                notice,
                served_on=form.served_on.data,
                served_to=form.served_to.data,
                result=form.result.data,
                complied=complied,
                actor=current_user._get_current_object(),
            )
            db.session.commit()
        except CaseChanged as exc:
            return self._refuse_changed(case_id, str(exc))
        except StaleDataError:
            return self._refuse_changed(case_id)
        except CaseError as exc:
            db.session.rollback()
            notice = self._scoped_notice()
            general = place_errors(form, exc.errors)
            return self._render_case(notice.case, (prefix, form, ["未保存：" + str(exc), *general]))
        flash(f"已记录《{notice.kind.label}》{notice.number}的送达情况", "success")
        return redirect(self.get_url(".details_view", id=notice.case_id))

    @expose("/notice/print/")
    def notice_print_view(self) -> Any:
        notice = self._scoped_notice()
        return self.render(
            "admin/notice_print.html",
            notice=notice,
            **notice_context(notice),
        )


def _open_field(key: str) -> str:
    return {"_": "child", "on": "discovered_on"}.get(key, key)
