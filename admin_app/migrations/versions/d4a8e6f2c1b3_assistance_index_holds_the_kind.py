"""assistance index holds the kind

帮扶覆盖率 counts only support records (a visit is no help given): the probe "a support
record of this child in the period" needs the kind, and with it in the index SQLite still
answers from the index alone.

Revision ID: d4a8e6f2c1b3
Revises: c3f1e2a9b7d4
Create Date: 2026-12-01 04:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4a8e6f2c1b3'
down_revision = 'c3f1e2a9b7d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assistance_record', schema=None) as batch_op:
        batch_op.drop_index('ix_assistance_child_date')
        batch_op.create_index('ix_assistance_child_date', ['child_id', 'given_on', 'kind'], unique=False)


def downgrade():
    with op.batch_alter_table('assistance_record', schema=None) as batch_op:
        batch_op.drop_index('ix_assistance_child_date')
        batch_op.create_index('ix_assistance_child_date', ['child_id', 'given_on'], unique=False)
