"""送教上门 sessions: home_teaching_session

One row per home-teaching visit to a child under 送教上门 (date, teacher, teaching school,
hours 0 < h <= 8, content, note, where the photo or signed sheet is kept, who recorded
it). The frequency owed is a parameter of the 帮扶覆盖率 indicator (JSON, no column).

Revision ID: d1c2e3f4a5b6
Revises: a7b8c9d0e1f2
Create Date: 2026-12-01 13:29:34.377159

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd1c2e3f4a5b6'
down_revision = 'a7b8c9d0e1f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('home_teaching_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('taught_on', sa.Date(), nullable=False),
    sa.Column('teacher', sa.String(length=50), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('hours', sa.Numeric(precision=3, scale=1), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('photo_ref', sa.String(length=255), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint('hours > 0 AND hours <= 8', name=op.f('ck_home_teaching_session_home_teaching_hours_range')),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], name=op.f('fk_home_teaching_session_child_id_child'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_home_teaching_session_recorded_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_home_teaching_session_school_id_school'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_home_teaching_session'))
    )
    with op.batch_alter_table('home_teaching_session', schema=None) as batch_op:
        batch_op.create_index('ix_home_teaching_child_date', ['child_id', 'taught_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_home_teaching_session_school_id'), ['school_id'], unique=False)



def downgrade():
    with op.batch_alter_table('home_teaching_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_home_teaching_session_school_id'))
        batch_op.drop_index('ix_home_teaching_child_date')

    op.drop_table('home_teaching_session')
