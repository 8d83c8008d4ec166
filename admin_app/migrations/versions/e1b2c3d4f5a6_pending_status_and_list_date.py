"""child status 待核实 and the import batch's list date

待核实 (DESIGN.md §4) is a new code of the child's status (``child.status`` and the
history's ``from_status`` / ``to_status``): a child added from an official list that names
no school. Enumerations are VARCHAR plus a named CHECK (``models.code_enum``), so each CHECK
is dropped and created again with the new list; "pending" fits the columns' 18 characters.
``import_batch.list_date`` is the date a list speaks for (名单日期).

Revision ID: e1b2c3d4f5a6
Revises: d5a8e1f0c2b6
Create Date: 2026-12-01 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e1b2c3d4f5a6'
down_revision = 'd5a8e1f0c2b6'
branch_labels = None
depends_on = None

OLD_STATUSES = (
    'enrolled', 'elsewhere', 'inclusive', 'home_teaching', 'special_school', 'not_enrolled',
    'dropout', 'suspended', 'exempted', 'completed', 'moved_out',
)
NEW_STATUSES = (*OLD_STATUSES, 'pending')
#: (table, column, constraint) of every CHECK that lists child statuses.
STATUS_CHECKS = (
    ('child', 'status', 'ck_child_child_status'),
    ('child_status_change', 'from_status', 'ck_child_status_change_status_change_from'),
    ('child_status_change', 'to_status', 'ck_child_status_change_status_change_to'),
)
#: On downgrade a child still 待核实 is counted as what it is not yet known not to be:
#: 未入学 would need a reason the list never gave, so it goes back to 在校就读 as before.
STATUS_BACK = 'enrolled'


def _check(column, codes):
    return f'{column} IN (' + ', '.join(f"'{c}'" for c in codes) + ')'


def _replace_checks(statuses):
    for table in ('child', 'child_status_change'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for owner, column, name in STATUS_CHECKS:
                if owner == table:
                    batch_op.drop_constraint(op.f(name), type_='check')
                    batch_op.create_check_constraint(op.f(name), _check(column, statuses))


def upgrade():
    _replace_checks(NEW_STATUSES)
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_date', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_column('list_date')
    for table, column, _ in STATUS_CHECKS:
        op.execute(f"UPDATE {table} SET {column} = '{STATUS_BACK}' WHERE {column} = 'pending'")
    _replace_checks(OLD_STATUSES)
