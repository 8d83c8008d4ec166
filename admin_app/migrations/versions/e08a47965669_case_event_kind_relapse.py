"""case event kind relapse

The 复辍 step (a returned child dropped out again) is a new ``case_event.kind`` code,
``relapse``. Enumerations are VARCHAR plus a named CHECK (``models.code_enum``), so the
CHECK is dropped and created again with the new list of codes; batch mode rebuilds the
table on SQLite and alters it in place on PostgreSQL. The column's length (18) does not change.

Revision ID: e08a47965669
Revises: 626e9d5c7ead
Create Date: 2026-11-29 12:35:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e08a47965669'
down_revision = '626e9d5c7ead'
branch_labels = None
depends_on = None

CONSTRAINT = 'ck_case_event_case_event_kind'
OLD_KINDS = (
    'open', 'verify', 'elsewhere', 'exempted', 'moved_out', 'confirm', 'persuade', 'criticism',
    'rectify', 'judicial', 'accountability', 'return', 'follow_up', 'close', 'notice', 'served',
)
NEW_KINDS = (*OLD_KINDS, 'relapse')


def _kinds_check(kinds):
    return 'kind IN (' + ', '.join(f"'{k}'" for k in kinds) + ')'


def _replace_check(kinds):
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CONSTRAINT), type_='check')
        batch_op.create_check_constraint(op.f(CONSTRAINT), _kinds_check(kinds))


def upgrade():
    _replace_check(NEW_KINDS)


def downgrade():
    # The old schema has no code for 复辍: its rows stay on the timeline as the step they
    # amount to (back to 劝返中), with their from/to statuses and notes unchanged.
    op.execute("UPDATE case_event SET kind = 'persuade' WHERE kind = 'relapse'")
    _replace_check(OLD_KINDS)
