"""The demo data set: a realistic township, valid by the panel's own rules, the same every time."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from stdnum.cn import ric

from admin_app.choices import (
    OUT_OF_SCHOOL_STATUSES,
    AssistanceKind,
    ChildStatus,
    OutOfSchoolReason,
    Role,
)
from admin_app.extensions import db
from admin_app.lists.validation import check_child
from admin_app.models import (
    AssistanceRecord,
    Child,
    ChildStatusChange,
    DropoutCase,
    Household,
    InspectionScore,
    ResponsibilityAgreement,
    School,
    User,
    Village,
)
from admin_app.util.dates import local_today, school_year_cutoff
from admin_app.util.siteflags import is_demo_database
from seed.demo.settings import DEMO_ACCOUNTS
from tests.helpers import login


def fingerprint() -> str:
    rows = db.session.execute(
        select(Child.id_number, Child.name, Child.status, Village.name)
        .join(Village, Village.id == Child.village_id)
        .order_by(Child.id)
    ).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_seed_demo_builds_a_valid_township(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "演示数据已生成" in result.output
    with app.app_context():
        count = lambda model: db.session.scalar(select(func.count(model.id)))  # noqa: E731
        assert 10 <= count(Village) <= 14
        assert count(School) == 3
        assert 1400 <= count(Child) <= 1600
        assert count(Household) > 500
        assert count(AssistanceRecord) > 1000
        assert count(ResponsibilityAgreement) > 100
        assert count(InspectionScore) > 0
        children = db.session.scalars(select(Child)).all()
        numbers = [c.id_number for c in children if c.id_number]
        assert len(numbers) == len(set(numbers))
        assert all(ric.is_valid(n) for n in numbers)
        out_of_school = [c for c in children if c.status in OUT_OF_SCHOOL_STATUSES]
        assert 20 <= len(out_of_school) <= 60
        assert all(c.status_reason is not None for c in out_of_school)
        # Every child passes the same rules a clerk's form does.
        with db.session.no_autoflush:
            problems = {c.id: check_child(db.session, c) for c in children[:300]}
        assert {k: v for k, v in problems.items() if v} == {}
        db.session.rollback()
        # Every child has a status history, and it ends in the current status.
        last = dict(
            db.session.execute(
                select(ChildStatusChange.child_id, ChildStatusChange.to_status).order_by(
                    ChildStatusChange.effective_on, ChildStatusChange.id
                )
            ).all()
        )
        assert all(last[c.id] == c.status for c in children)
        roles = set(db.session.scalars(select(User.role)))
        assert roles == set(Role)


def test_demo_accounts_log_in_and_are_printed(app, runner):
    runner.invoke(args=["seed-demo"])
    printed = runner.invoke(args=["demo-accounts"]).output
    for account in DEMO_ACCOUNTS:
        assert account.username in printed and account.password in printed
        client = app.test_client()
        assert login(client, account.username, account.password).status_code == 302
        # Flagged as demo accounts, in a database flagged as a demo: no warning banner.
        home = client.get("/admin/").get_data(as_text=True)
        assert "demo-account-warning" not in home
    with app.app_context():
        assert is_demo_database(db.session)
        demo = db.session.scalars(select(User.username).where(User.is_demo)).all()
        assert sorted(demo) == sorted(a.username for a in DEMO_ACCOUNTS)


def test_seed_demo_is_deterministic_and_if_empty_skips(app, runner):
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        first = fingerprint()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "跳过" in result.output
    with app.app_context():
        assert fingerprint() == first
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
    from seed.reference import load_reference

    with app.app_context():
        load_reference(db.session)
        db.session.commit()
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        assert fingerprint() == first


# --- Plausible stories only ---------------------------------------------------------------


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def test_seed_demo_tells_plausible_stories(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        children = {c.id: c for c in db.session.scalars(select(Child))}
        # No 11-year-old 外出务工, no 13-year-old cohabiting: on the day they left school.
        left_on = {
            child_id: day
            for child_id, day in db.session.execute(
                select(ChildStatusChange.child_id, ChildStatusChange.effective_on)
                .where(ChildStatusChange.to_status.in_(OUT_OF_SCHOOL_STATUSES))
                .order_by(ChildStatusChange.effective_on)
            )
        }
        too_young = {OutOfSchoolReason.WORK: 14, OutOfSchoolReason.EARLY_MARRIAGE: 15}
        for child in children.values():
            if child.status_reason in too_young:
                age = age_on(child.birth_date, left_on[child.id])
                assert age >= too_young[child.status_reason], (child.id, child.status_reason, age)
        for case in db.session.scalars(select(DropoutCase)):
            if case.reason in too_young:
                age = age_on(children[case.child_id].birth_date, case.discovered_on)
                assert age >= too_young[case.reason], (case.id, case.reason, age)

        # 两免一补 at the day pupil's rate unless the child boards (初中, not taught at home).
        payments = db.session.execute(
            select(
                AssistanceRecord.child_id, AssistanceRecord.amount, AssistanceRecord.content
            ).where(AssistanceRecord.kind == AssistanceKind.TWO_EXEMPTIONS)
        ).all()
        assert payments
        rates = {
            ("寄宿生", "primary"): Decimal("1000.00"),
            ("寄宿生", "junior"): Decimal("1250.00"),
            ("走读生", "primary"): Decimal("500.00"),
            ("走读生", "junior"): Decimal("625.00"),
        }
        kinds = set()
        for child_id, amount, content in payments:
            grade = children[child_id].grade or 9
            pupil = "寄宿生" if "（寄宿生）" in content else "走读生"
            assert pupil in content, content
            kinds.add(pupil)
            assert grade >= 7 or pupil == "走读生", (child_id, content)
            assert amount == rates[pupil, "junior" if grade >= 7 else "primary"], (child_id, amount)
        assert kinds == {"寄宿生", "走读生"}

        # 送教上门 children have their 送教上门 visits, in term time, after their history starts.
        taught_at_home = [c for c in children.values() if c.status == ChildStatus.HOME_TEACHING]
        assert taught_at_home
        visits = defaultdict(list)
        for child_id, day in db.session.execute(
            select(AssistanceRecord.child_id, AssistanceRecord.given_on).where(
                AssistanceRecord.kind == AssistanceKind.HOME_TEACHING
            )
        ):
            visits[child_id].append(day)
        for child in taught_at_home:
            assert len(visits[child.id]) >= 4, child.id
            assert all(day.month not in (2, 7, 8) for day in visits[child.id])
        assert set(visits) <= {c.id for c in taught_at_home}

        # 学籍号: G + ID number, or for a child without one J + the ID number's rule.
        without_id = [c for c in children.values() if not c.id_number and c.student_no]
        assert without_id
        for child in children.values():
            if child.id_number and child.student_no:  # never enrolled: no 学籍号
                assert child.student_no == "G" + child.id_number
        for child in without_id:
            number = child.student_no
            assert number[0] == "J" and len(number) == 19, number
            assert number[7:15] == f"{child.birth_date:%Y%m%d}", number
            assert ric.is_valid(number[1:]), number
        assert len({c.student_no for c in without_id}) == len(without_id)


def test_dashboard_counts_children_of_compulsory_age_and_the_others_apart(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    client = app.test_client()
    assert login(client, "clerk", "clerk123!").status_code == 302
    html = client.get("/admin/").get_data(as_text=True)
    cutoff = school_year_cutoff(local_today())
    with app.app_context():
        ages = [age_on(b, cutoff) for b in db.session.scalars(select(Child.birth_date))]
    of_age = sum(6 <= a <= 15 for a in ages)
    assert of_age < len(ages)  # the demo has 16- and 17-year-olds who finished grade 9
    assert re.search(rf'id="compulsory-total">{of_age}<', html)
    assert re.search(rf'id="outside-age-total">{len(ages) - of_age}<', html)
    footer = html[html.index('id="status-table"') :]
    footer = footer[footer.index("<tfoot>") : footer.index("</tfoot>")]
    assert int(re.findall(r"<td>(\d+)</td>", footer)[0]) == of_age


def test_seed_demo_brings_the_poverty_lists_children_to_verify(app, runner):
    """The 县扶贫办's latest list arrives through the import: three children named without
    a school are 待核实 from the list's date, in households found or created by 户主, each
    household a 脱贫户 held from that date; the home page's watch lists them."""
    from admin_app.models import HouseholdCategorySpan, ImportBatch
    from seed.demo.build import POVERTY_LIST_DATE

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        (batch,) = db.session.scalars(select(ImportBatch)).all()
        assert (batch.n_new, batch.n_rejected, batch.list_date) == (3, 0, POVERTY_LIST_DATE)
        pending = db.session.scalars(select(Child).where(Child.status == ChildStatus.PENDING)).all()
        assert len(pending) == 3 and all(c.school_id is None and c.is_poor for c in pending)
        households = {c.household for c in pending}
        assert len(households) == 2 and all(h.is_poverty_alleviated for h in households)
        for household in households:
            span = db.session.scalar(
                select(HouseholdCategorySpan).where(
                    HouseholdCategorySpan.household_id == household.id
                )
            )
            assert span.held_from == POVERTY_LIST_DATE
        names = [c.name for c in pending]
    client = app.test_client()
    login(client, "clerk", "clerk123!")
    watch = client.get("/admin/").get_data(as_text=True).split('id="pending-watch"')[1]
    assert all(name in watch.split("</table>")[0] for name in names)
