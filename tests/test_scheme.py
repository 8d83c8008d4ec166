"""The scheme's settings read once (``assessment.scheme_param``) by the dashboard targets,
the overdue watch and the 问责 proposals, and the guard on the profile's status bits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from admin_app.assessment import accountability
from admin_app.assessment import core as assessment
from admin_app.assessment.core import METHODS, check_status_capacity, default_params, scheme_param
from admin_app.cases import core as cases
from admin_app.choices import ChildStatus, IndicatorMethod
from admin_app.extensions import db
from admin_app.models import AssessmentIndicator
from seed.reference import INDICATORS


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


def indicator_of(method: IndicatorMethod) -> AssessmentIndicator:
    return db.session.scalars(
        select(AssessmentIndicator).where(AssessmentIndicator.method == method)
    ).one()


def test_the_seeded_scheme_reads_the_declared_defaults(ctx):
    # The reference rows hold each method's declared parameters, nothing typed twice.
    for code, _name, _points, method in INDICATORS:
        row = db.session.scalars(
            select(AssessmentIndicator).where(AssessmentIndicator.code == code)
        ).one()
        assert row.params == default_params(method)
    assert scheme_param(db.session, IndicatorMethod.RETENTION_RATE, "target") == 99
    assert scheme_param(db.session, IndicatorMethod.VISIT_TIMELINESS, "days") == 7


def test_every_reader_follows_what_an_admin_set(ctx):
    """The watch's N days, the proposals' 巩固率 target and the dashboard's targets all
    change with the 考核指标 row; a control: before the change they read the defaults."""
    from admin_app.views.index import dashboard_targets

    assert (cases.visit_days(db.session), accountability.retention_target(db.session)) == (7, 99)
    indicator_of(IndicatorMethod.VISIT_TIMELINESS).params = {"days": 3}
    indicator_of(IndicatorMethod.RETENTION_RATE).params = {"target": 95, "step_pp": 1}
    indicator_of(IndicatorMethod.ENROLMENT_RATE).params = {"target": 98}
    db.session.flush()
    assert cases.visit_days(db.session) == 3
    assert accountability.retention_target(db.session) == 95
    assert {k: float(v) for k, v in dashboard_targets().items()} == {
        "enrolment": 98,
        "retention": 95,
    }


def test_an_inactive_indicator_keeps_its_setting_and_no_row_means_the_default(ctx):
    timeliness = indicator_of(IndicatorMethod.VISIT_TIMELINESS)
    timeliness.params, timeliness.active = {"days": 5}, False
    db.session.flush()
    assert scheme_param(db.session, IndicatorMethod.VISIT_TIMELINESS, "days") == 5
    db.session.delete(timeliness)
    db.session.flush()
    default = METHODS[IndicatorMethod.VISIT_TIMELINESS].params["days"].default
    assert scheme_param(db.session, IndicatorMethod.VISIT_TIMELINESS, "days") == default


def test_every_status_survives_the_profile_bits():
    for status in ChildStatus:
        bits = assessment.STATUS_CODE[status] << assessment.STATUS_SHIFT
        assert assessment.Profile.decode(bits | assessment.ASSISTED).end_status is status


def test_a_status_past_the_profile_bits_is_refused():
    check_status_capacity(len(ChildStatus))  # control: today's statuses fit
    with pytest.raises(RuntimeError, match="STATUS_BITS"):
        check_status_capacity(assessment.STATUS_MASK + 2)
