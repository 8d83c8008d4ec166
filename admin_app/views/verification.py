"""待核实儿童: the list of children an official list named without a school, and the
verification step (in school, or not in school → a 疑似 case) as two small forms.

The rules live in ``admin_app.cases.verification``; this view fetches the child within the
user's scope, hands the typed values over, and shows refusals next to the fields with
what was typed kept.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..access.auth import may
from ..access.permissions import VERIFY_CHILD
from ..access.scope import apply_scope, get_scoped, scope_criterion
from ..cases import verification
from ..choices import CaseKind, ChildStatus, OutOfSchoolReason
from ..extensions import db
from ..models import Child, School
from ..util.dates import local_today
from ..util.params import parse_page
from .base import SecureView
from .fields import LocalDateField, place_errors

PAGE_SIZE = 50


def _verified_on() -> LocalDateField:
    return LocalDateField(
        "核实日期", validators=[InputRequired("请填写核实日期")], default=local_today
    )


class InSchoolForm(FlaskForm):
    on = _verified_on()
    status = SelectField(
        "核实到的就读情况",
        choices=[SelectChoice(s.value, s.label) for s in verification.FOUND_IN_SCHOOL],
        default=ChildStatus.ENROLLED.value,
    )
    school = SelectField("就读学校", choices=[], validate_choice=False)
    grade = IntegerField("年级", validators=[Optional(), NumberRange(1, 9, "年级应在1–9之间")])
    class_name = StringField("班级", validators=[Optional(), Length(max=20)])
    note = TextAreaField(
        "核实情况",
        validators=[Optional(), Length(max=200)],
        description="如：到校核对学籍；异地就读须写明学校或地点",
    )


class NotInSchoolForm(FlaskForm):
    on = _verified_on()
    kind = SelectField(
        "情形",
        choices=[SelectChoice(k.value, k.label) for k in CaseKind],
        default=CaseKind.NOT_ENROLLED.value,
    )
    reason = SelectField(
        "原因（已了解的）",
        choices=[
            SelectChoice("", "（尚不清楚）"),
            *(SelectChoice(code, label) for code, label in OutOfSchoolReason.choices()),
        ],
        default="",
    )
    note = TextAreaField("核实情况", validators=[Optional(), Length(max=2000)])


def school_choices() -> list[SelectChoice]:
    stmt = apply_scope(select(School.id, School.name).order_by(School.name), School, current_user)
    return [SelectChoice("", "（请选择）")] + [
        SelectChoice(str(i), name) for i, name in db.session.execute(stmt)
    ]


class VerificationView(SecureView):
    @expose("/")
    def index(self) -> Any:
        page = parse_page(request.args.get("page")) or 1
        total, rows = verification.pending_children(
            db.session,
            scope_criterion(Child, current_user),
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        pages = max(1, -(-total // PAGE_SIZE))
        return self.render(
            "admin/verification_list.html",
            total=total,
            rows=rows,
            page=min(page, pages),
            pages=pages,
            may_verify=may("verify", VERIFY_CHILD),
        )

    def _child(self, raw_id: Any) -> Child:
        child = get_scoped(db.session, Child, raw_id, current_user)
        if child is None:
            abort(404)
        return child

    def _render_child(
        self,
        child: Child,
        in_school: InSchoolForm | None = None,
        not_in_school: NotInSchoolForm | None = None,
        general: list[str] | None = None,
        status: int = 200,
    ) -> Any:
        if in_school is None:
            in_school = InSchoolForm(formdata=None, prefix="found")
            in_school.grade.data = child.grade
            in_school.class_name.data = child.class_name
        in_school.school.choices = school_choices()
        not_in_school = not_in_school or NotInSchoolForm(formdata=None, prefix="missing")
        return self.render(
            "admin/verification_child.html",
            child=child,
            since=verification.pending_since(db.session, child),
            in_school=in_school,
            not_in_school=not_in_school,
            general=general or [],
            may_verify=may("verify", VERIFY_CHILD) and child.status == ChildStatus.PENDING,
        ), status

    @expose("/child/")
    def child_view(self) -> Any:
        return self._render_child(self._child(request.args.get("id")))

    @expose("/in-school/", methods=("POST",))
    def in_school_view(self) -> Any:
        if not may("verify", VERIFY_CHILD):
            abort(403)
        child = self._child(request.args.get("id"))
        form = InSchoolForm(prefix="found")
        form.school.choices = school_choices()
        if not form.validate():
            if form.csrf_token.errors:
                abort(400)
            return self._render_child(
                child, in_school=form, general=["未保存，请改正标出的问题。"], status=400
            )
        school = None
        if form.school.data:
            school = get_scoped(db.session, School, form.school.data, current_user)
            if school is None:
                form.school.errors = ["请选择就读学校"]
                return self._render_child(child, in_school=form, status=400)
        try:
            verification.verify_in_school(
                db.session,
                child,
                on=form.on.data,
                actor=current_user._get_current_object(),
                status=ChildStatus(form.status.data),
                school=school,
                grade=form.grade.data,
                class_name=form.class_name.data,
                note=form.note.data,
            )
            db.session.commit()
        except verification.VerificationError as exc:
            db.session.rollback()
            child = self._child(request.args.get("id"))
            general = place_errors(form, exc.errors)
            return self._render_child(
                child, in_school=form, general=[f"未保存：{exc}", *general], status=400
            )
        flash(f"已核实：{child.name}{child.status.label}。", "success")
        return redirect(url_for(".index"))

    @expose("/not-in-school/", methods=("POST",))
    def not_in_school_view(self) -> Any:
        if not may("verify", VERIFY_CHILD):
            abort(403)
        child = self._child(request.args.get("id"))
        form = NotInSchoolForm(prefix="missing")
        if not form.validate():
            if form.csrf_token.errors:
                abort(400)
            return self._render_child(
                child, not_in_school=form, general=["未保存，请改正标出的问题。"], status=400
            )
        try:
            case = verification.verify_not_in_school(
                db.session,
                child,
                on=form.on.data,
                actor=current_user._get_current_object(),
                kind=CaseKind(form.kind.data),
                reason=OutOfSchoolReason(form.reason.data) if form.reason.data else None,
                note=form.note.data,
            )
            db.session.commit()
        except verification.VerificationError as exc:
            db.session.rollback()
            child = self._child(request.args.get("id"))
            general = place_errors(form, exc.errors)
            return self._render_child(
                child, not_in_school=form, general=[f"未保存：{exc}", *general], status=400
            )
        flash(f"已立案（疑似）：{child.name}，请在案件中继续核查。", "success")
        return redirect(url_for("case.details_view", id=case.id))
