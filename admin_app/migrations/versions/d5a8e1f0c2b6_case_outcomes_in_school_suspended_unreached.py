"""case outcomes: 核实在校, 休学, 失联

Three outcomes of 核查中 (DESIGN.md §3): 核实在校 (a false alarm, closed), 休学 (an approved
suspension, closed) and 失联 (unreachable, stays open). Each is a new code of the case's
status (``dropout_case.status`` and the event's ``from_status`` / ``to_status``) and of the
event kind. Enumerations are VARCHAR plus a named CHECK (``models.code_enum``), so each
CHECK is dropped and created again with the new list; batch mode rebuilds the tables on
SQLite and alters them in place on PostgreSQL. The codes are at most 9 characters, so
the columns' lengths (14 and 18) do not change.

Revision ID: d5a8e1f0c2b6
Revises: d4a8e6f2c1b3
Create Date: 2026-12-01 04:05:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd5a8e1f0c2b6'
down_revision = 'd4a8e6f2c1b3'
branch_labels = None
depends_on = None

OLD_STATUSES = (
    'suspected', 'verifying', 'elsewhere', 'exempted', 'moved_out', 'confirmed', 'persuading',
    'returned', 'follow_up', 'closed',
)
NEW_STATUSES = (*OLD_STATUSES, 'in_school', 'suspended', 'unreached')
OLD_KINDS = (
    'open', 'verify', 'elsewhere', 'exempted', 'moved_out', 'confirm', 'persuade', 'criticism',
    'rectify', 'judicial', 'accountability', 'return', 'follow_up', 'close', 'notice', 'served',
    'relapse',
)
NEW_KINDS = (*OLD_KINDS, 'in_school', 'suspended', 'unreached')
#: (table, column, constraint) of every CHECK that lists case statuses.
STATUS_CHECKS = (
    ('dropout_case', 'status', 'ck_dropout_case_case_status'),
    ('case_event', 'from_status', 'ck_case_event_case_event_from'),
    ('case_event', 'to_status', 'ck_case_event_case_event_to'),
)
KIND_CHECK = ('case_event', 'kind', 'ck_case_event_case_event_kind')
#: On downgrade, each new code becomes the old one nearest in meaning: a false alarm was
#: closed (销号), a suspension is an approved closure like 免缓学, 失联 is still 核查中.
STATUS_BACK = {'in_school': 'closed', 'suspended': 'exempted', 'unreached': 'verifying'}
KIND_BACK = {'in_school': 'close', 'suspended': 'exempted', 'unreached': 'verify'}


def _check(column, codes):
    return f'{column} IN (' + ', '.join(f"'{c}'" for c in codes) + ')'


def _replace_checks(statuses, kinds):
    checks = [(*c, statuses) for c in STATUS_CHECKS] + [(*KIND_CHECK, kinds)]
    for table in ('dropout_case', 'case_event'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for owner, column, name, codes in checks:
                if owner == table:
                    batch_op.drop_constraint(op.f(name), type_='check')
                    batch_op.create_check_constraint(op.f(name), _check(column, codes))


def upgrade():
    _replace_checks(NEW_STATUSES, NEW_KINDS)


def downgrade():
    for new, old in STATUS_BACK.items():
        for table, column, _ in STATUS_CHECKS:
            op.execute(f"UPDATE {table} SET {column} = '{old}' WHERE {column} = '{new}'")
    for new, old in KIND_BACK.items():
        op.execute(f"UPDATE case_event SET kind = '{old}' WHERE kind = '{new}'")
    _replace_checks(OLD_STATUSES, OLD_KINDS)
