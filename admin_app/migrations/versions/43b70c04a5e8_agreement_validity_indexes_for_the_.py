"""agreement validity indexes for the ranking

The ranking tests each child for a parent agreement valid in the period; with all the
columns of that test in one index SQLite answers from the index alone (0.45 s → 0.38 s for
the county-scale profile query). The new indexes lead with child_id and household_id, so
they replace the single-column foreign-key indexes.

Revision ID: 43b70c04a5e8
Revises: e08a47965669
Create Date: 2026-11-29 12:57:06.720072

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '43b70c04a5e8'
down_revision = 'e08a47965669'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('responsibility_agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responsibility_agreement_child_id'))
        batch_op.drop_index(batch_op.f('ix_responsibility_agreement_household_id'))
        batch_op.create_index('ix_agreement_child_validity', ['child_id', 'level', 'status', 'signed_on', 'valid_until'], unique=False)
        batch_op.create_index('ix_agreement_household_validity', ['household_id', 'child_id', 'level', 'status', 'signed_on', 'valid_until'], unique=False)



def downgrade():
    with op.batch_alter_table('responsibility_agreement', schema=None) as batch_op:
        batch_op.drop_index('ix_agreement_household_validity')
        batch_op.drop_index('ix_agreement_child_validity')
        batch_op.create_index(batch_op.f('ix_responsibility_agreement_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responsibility_agreement_child_id'), ['child_id'], unique=False)

