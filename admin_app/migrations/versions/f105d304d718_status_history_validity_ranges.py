"""status history validity ranges

Revision ID: f105d304d718
Revises: 457eaeb0f487
Create Date: 2026-11-29 10:20:39.992272

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f105d304d718'
down_revision = '457eaeb0f487'
branch_labels = None
depends_on = None


# Each row ends where the child's next change (by date, then id) begins.
FILL_ENDED_ON = """
UPDATE child_status_change SET ended_on = (
    SELECT MIN(later.effective_on) FROM child_status_change AS later
    WHERE later.child_id = child_status_change.child_id
      AND (later.effective_on > child_status_change.effective_on
           OR (later.effective_on = child_status_change.effective_on
               AND later.id > child_status_change.id))
)
"""


def upgrade():
    with op.batch_alter_table('child_status_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
    op.execute(FILL_ENDED_ON)
    with op.batch_alter_table('child_status_change', schema=None) as batch_op:
        batch_op.create_check_constraint(
            'status_change_period_order', 'ended_on IS NULL OR ended_on >= effective_on'
        )


def downgrade():
    with op.batch_alter_table('child_status_change', schema=None) as batch_op:
        batch_op.drop_constraint('ck_child_status_change_status_change_period_order', type_='check')
        batch_op.drop_column('ended_on')
