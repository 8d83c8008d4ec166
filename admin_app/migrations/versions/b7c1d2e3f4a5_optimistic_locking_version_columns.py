"""optimistic locking: a version column on every table edited through the panel

Two clerks who open the same record and save one after the other must not overwrite each
other unseen. Each edited table gets ``version`` (SQLAlchemy's ``version_id_col``): every
ORM UPDATE says ``WHERE version = :loaded`` and bumps it, and the edit forms carry the
version the clerk saw. Existing rows start at 1.

Revision ID: b7c1d2e3f4a5
Revises: 10d0672a6c65
Create Date: 2026-11-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c1d2e3f4a5'
down_revision = '10d0672a6c65'
branch_labels = None
depends_on = None

TABLES = (
    'village',
    'school',
    'user_account',
    'household',
    'child',
    'responsibility_agreement',
    'assistance_plan',
    'assistance_record',
    'dropout_case',
    'assessment_period',
    'inspection_item',
    'inspection',
    'inspection_score',
    'assessment_indicator',
    'accountability',
)


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('version', sa.Integer(), server_default='1', nullable=False)
            )


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
