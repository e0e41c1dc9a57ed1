"""Xero plugin tables: connection, settings, contact copy, links, outbox, batches, runs.

Revision ID: e137efc28044
Revises: 
Create Date: 2026-11-26 06:14:10.240675

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e137efc28044'
down_revision = None
branch_labels = ('xero',)
depends_on = ('e519a4684b3f',)  # the core tables (clients)


def upgrade():
    op.create_table('xero_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=True),
    sa.Column('xero_connection_id', sa.String(length=64), nullable=True),
    sa.Column('organisation_name', sa.String(length=255), nullable=False),
    sa.Column('short_code', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('encrypted_tokens', sa.LargeBinary(), nullable=False),
    sa.Column('access_expires_at', sa.DateTime(), nullable=True),
    sa.Column('scopes', sa.Text(), nullable=False),
    sa.Column('contacts_modified_since', sa.DateTime(), nullable=True),
    sa.Column('invoices_modified_since', sa.DateTime(), nullable=True),
    sa.Column('daily_limit_until', sa.DateTime(), nullable=True),
    sa.Column('connected_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_connections'))
    )
    with op.batch_alter_table('xero_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xero_connections_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('xero_contacts',
    sa.Column('contact_id', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('contact_number', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('is_customer', sa.Boolean(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_date_utc', sa.DateTime(), nullable=True),
    sa.Column('pulled_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('contact_id', name=op.f('pk_xero_contacts'))
    )
    with op.batch_alter_table('xero_contacts', schema=None) as batch_op:
        batch_op.create_index('ix_xero_contacts_listing', ['tenant_id', 'is_customer', 'status', 'name'], unique=False)
        batch_op.create_index(batch_op.f('ix_xero_contacts_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('xero_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_sync_enabled', sa.Boolean(), nullable=False),
    sa.Column('sync_interval_minutes', sa.Integer(), nullable=False),
    sa.Column('invoice_sync_enabled', sa.Boolean(), nullable=False),
    sa.Column('invoice_sync_enabled_at', sa.DateTime(), nullable=True),
    sa.Column('default_bank_account_id', sa.String(length=64), nullable=False),
    sa.Column('default_bank_account_name', sa.String(length=255), nullable=False),
    sa.Column('sales_account_code', sa.String(length=10), nullable=False),
    sa.Column('default_tax_type', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_settings'))
    )
    op.create_table('xero_sync_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('phase', sa.String(length=64), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_sync_runs'))
    )
    op.create_table('xero_write_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('object_ids', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('first_sent_at', sa.DateTime(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_write_batches')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_xero_write_batches_idempotency_key'))
    )
    op.create_table('xero_contact_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('contact_id', sa.String(length=64), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('linked_at', sa.DateTime(), nullable=False),
    sa.Column('synced_at', sa.DateTime(), nullable=True),
    sa.Column('archived_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_xero_contact_links_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_contact_links'))
    )
    with op.batch_alter_table('xero_contact_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xero_contact_links_client_id'), ['client_id'], unique=False)
        batch_op.create_index('uq_xero_contact_links_live_client', ['client_id'], unique=True, sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.create_index('uq_xero_contact_links_live_contact', ['tenant_id', 'contact_id'], unique=True, sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))

    op.create_table('xero_match_suggestions',
    sa.Column('contact_id', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_xero_match_suggestions_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', 'client_id', name=op.f('pk_xero_match_suggestions'))
    )
    op.create_table('xero_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['xero_write_batches.id'], name=op.f('fk_xero_outbox_batch_id_xero_write_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_outbox'))
    )
    with op.batch_alter_table('xero_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_xero_outbox_open', ['state', 'kind', 'object_id'], unique=False)



def downgrade():
    with op.batch_alter_table('xero_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_xero_outbox_open')

    op.drop_table('xero_outbox')
    op.drop_table('xero_match_suggestions')
    with op.batch_alter_table('xero_contact_links', schema=None) as batch_op:
        batch_op.drop_index('uq_xero_contact_links_live_contact', sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.drop_index('uq_xero_contact_links_live_client', sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_xero_contact_links_client_id'))

    op.drop_table('xero_contact_links')
    op.drop_table('xero_write_batches')
    op.drop_table('xero_sync_runs')
    op.drop_table('xero_settings')
    with op.batch_alter_table('xero_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xero_contacts_tenant_id'))
        batch_op.drop_index('ix_xero_contacts_listing')

    op.drop_table('xero_contacts')
    with op.batch_alter_table('xero_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xero_connections_tenant_id'))

    op.drop_table('xero_connections')
