"""动态监测预警: absence reports and alerts

Schools report pupils' unexcused absences (absence_report); the alert scan
(admin_app/cases/alerts.py) raises one alert per occurrence of a watched condition
(unique per kind and source key), owned by the village or the school line.

Revision ID: f1e2a3b4c5d6
Revises: d1c2e3f4a5b6
Create Date: 2026-12-01 13:28:45.080749

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1e2a3b4c5d6'
down_revision = "d1c2e3f4a5b6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('absence_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('from_on', sa.Date(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('reported_by_name', sa.String(length=50), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint('days >= 1 AND days <= 365', name=op.f('ck_absence_report_absence_days_range')),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], name=op.f('fk_absence_report_child_id_child'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reported_by_id'], ['user_account.id'], name=op.f('fk_absence_report_reported_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_absence_report_school_id_school'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_absence_report'))
    )
    with op.batch_alter_table('absence_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absence_report_child_id'), ['child_id'], unique=False)
        batch_op.create_index('ix_absence_report_from', ['from_on', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_absence_report_school_id'), ['school_id'], unique=False)

    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('out_of_school', 'key_group_change', 'absence', 'unreached', name='alert_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('source_key', sa.String(length=40), nullable=False),
    sa.Column('owner_line', sa.Enum('government', 'school', name='alert_line', native_enum=False, create_constraint=True, length=14), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='alert_status', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('closed_action', sa.Enum('case_opened', 'verified', 'returned', 'handled', name='alert_action', native_enum=False, create_constraint=True, length=15), nullable=True),
    sa.Column('closed_note', sa.Text(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_by_name', sa.String(length=50), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("status <> 'closed' OR (closed_action IS NOT NULL AND closed_at IS NOT NULL)", name=op.f('ck_alert_alert_closed_has_action')),
    sa.CheckConstraint('due_on >= raised_on', name=op.f('ck_alert_alert_due_order')),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], name=op.f('fk_alert_child_id_child'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user_account.id'], name=op.f('fk_alert_closed_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_alert_school_id_school'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['village_id'], ['village.id'], name=op.f('fk_alert_village_id_village'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert')),
    sa.UniqueConstraint('kind', 'source_key', name='uq_alert_kind_source')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_child_id'), ['child_id'], unique=False)
        batch_op.create_index('ix_alert_open_school', ['status', 'owner_line', 'school_id'], unique=False)
        batch_op.create_index('ix_alert_open_village', ['status', 'owner_line', 'village_id'], unique=False)



def downgrade():
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_open_village')
        batch_op.drop_index('ix_alert_open_school')
        batch_op.drop_index(batch_op.f('ix_alert_child_id'))

    op.drop_table('alert')
    with op.batch_alter_table('absence_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_absence_report_school_id'))
        batch_op.drop_index('ix_absence_report_from')
        batch_op.drop_index(batch_op.f('ix_absence_report_child_id'))

    op.drop_table('absence_report')
