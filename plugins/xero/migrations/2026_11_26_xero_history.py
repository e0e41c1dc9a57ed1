"""Xero sync history (field changes) and link batches for bulk linking with undo.

Revision ID: 2da2a73785e4
Revises: 75d84d20c607
Create Date: 2026-11-26 06:58:04.384058

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2da2a73785e4'
down_revision = '75d84d20c607'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('xero_link_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('made_by', sa.String(length=255), nullable=False),
    sa.Column('made_at', sa.DateTime(), nullable=False),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_link_batches'))
    )
    op.create_table('xero_field_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('record_kind', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('before', sa.Text(), nullable=False),
    sa.Column('after', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('conflict', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['xero_sync_runs.id'], name=op.f('fk_xero_field_changes_run_id_xero_sync_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_field_changes'))
    )
    with op.batch_alter_table('xero_field_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xero_field_changes_changed_at'), ['changed_at'], unique=False)
        batch_op.create_index('ix_xero_field_changes_record', ['record_kind', 'record_id', 'changed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_xero_field_changes_run_id'), ['run_id'], unique=False)

    with op.batch_alter_table('xero_contact_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_xero_contact_links_link_batch_id'), ['link_batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_xero_contact_links_link_batch_id_xero_link_batches'), 'xero_link_batches', ['link_batch_id'], ['id'])

    with op.batch_alter_table('xero_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('history_days', sa.Integer(), nullable=False, server_default='365'))



def downgrade():
    with op.batch_alter_table('xero_settings', schema=None) as batch_op:
        batch_op.drop_column('history_days')

    with op.batch_alter_table('xero_contact_links', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_xero_contact_links_link_batch_id_xero_link_batches'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_xero_contact_links_link_batch_id'))
        batch_op.drop_column('link_batch_id')

    with op.batch_alter_table('xero_field_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xero_field_changes_run_id'))
        batch_op.drop_index('ix_xero_field_changes_record')
        batch_op.drop_index(batch_op.f('ix_xero_field_changes_changed_at'))

    op.drop_table('xero_field_changes')
    op.drop_table('xero_link_batches')
