"""household category history (帮扶类别 as of a period)

帮扶覆盖率 read a household's support categories from today's columns, so a household
added to a roll in 2026 counted as supported for 2025 and one struck off escaped. Each
category a household holds is now a span [held_from, held_until) written on every change.
The categories households hold now are backfilled with an open start (held_from NULL:
held since before they were recorded), which is all that is known of them.

Revision ID: c3f1e2a9b7d4
Revises: b7c1d2e3f4a5
Create Date: 2026-12-01 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f1e2a9b7d4'
down_revision = 'b7c1d2e3f4a5'
branch_labels = None
depends_on = None

CATEGORIES = ('poverty_alleviated', 'monitored', 'dibao', 'tekun', 'disabled_family')


def upgrade():
    op.create_table(
        'household_category_span',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column(
            'category',
            sa.Enum(*CATEGORIES, name='household_category', native_enum=False,
                    create_constraint=True, length=22),
            nullable=False,
        ),
        sa.Column('held_from', sa.Date(), nullable=True),
        sa.Column('held_until', sa.Date(), nullable=True),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            'held_until IS NULL OR held_from IS NULL OR held_until >= held_from',
            name=op.f('ck_household_category_span_household_category_span_order'),
        ),
        sa.ForeignKeyConstraint(
            ['changed_by_id'], ['user_account.id'],
            name=op.f('fk_household_category_span_changed_by_id_user_account'),
            ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['household_id'], ['household.id'],
            name=op.f('fk_household_category_span_household_id_household'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_household_category_span')),
    )
    with op.batch_alter_table('household_category_span', schema=None) as batch_op:
        batch_op.create_index(
            'ix_household_category_span', ['household_id', 'held_from', 'held_until'], unique=False
        )
    for category in CATEGORIES:
        op.execute(
            "INSERT INTO household_category_span (household_id, category, changed_at)"
            f" SELECT id, '{category}', CURRENT_TIMESTAMP FROM household"
            f" WHERE is_{category}"
        )


def downgrade():
    with op.batch_alter_table('household_category_span', schema=None) as batch_op:
        batch_op.drop_index('ix_household_category_span')
    op.drop_table('household_category_span')
