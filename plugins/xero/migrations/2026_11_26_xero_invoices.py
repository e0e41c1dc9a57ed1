"""Xero invoice sync: invoice and payment links, the enable-moment baseline, tax rates,
invoices waiting for their contact to be linked.

Revision ID: 75d84d20c607
Revises: e137efc28044
Create Date: 2026-11-26 06:26:20.741172

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '75d84d20c607'
down_revision = 'e137efc28044'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('xero_baseline_invoices',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('invoice_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'invoice_id', name=op.f('pk_xero_baseline_invoices'))
    )
    op.create_table('xero_invoice_sync_starts',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('enabled_at', sa.DateTime(), nullable=False),
    sa.Column('invoices_before', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_xero_invoice_sync_starts'))
    )
    op.create_table('xero_tax_rates',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('tax_type', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('rate', sa.String(length=20), nullable=False),
    sa.Column('report_tax_type', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'tax_type', name=op.f('pk_xero_tax_rates'))
    )
    op.create_table('xero_unlinked_contact_invoices',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('invoice_id', sa.String(length=64), nullable=False),
    sa.Column('contact_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'invoice_id', name=op.f('pk_xero_unlinked_contact_invoices'))
    )
    with op.batch_alter_table('xero_unlinked_contact_invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xero_unlinked_contact_invoices_contact_id'), ['contact_id'], unique=False)

    op.create_table('xero_invoice_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('xero_invoice_id', sa.String(length=64), nullable=False),
    sa.Column('xero_number', sa.String(length=255), nullable=False),
    sa.Column('xero_status', sa.String(length=16), nullable=False),
    sa.Column('practice_number', sa.String(length=255), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('xero_updated_at', sa.DateTime(), nullable=True),
    sa.Column('linked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_xero_invoice_links_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_invoice_links')),
    sa.UniqueConstraint('invoice_id', name=op.f('uq_xero_invoice_links_invoice_id')),
    sa.UniqueConstraint('tenant_id', 'xero_invoice_id', name='uq_xero_invoice_links_xero')
    )
    op.create_table('xero_payment_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('xero_payment_id', sa.String(length=64), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('linked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_xero_payment_links_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_payment_links')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_xero_payment_links_payment_id')),
    sa.UniqueConstraint('tenant_id', 'xero_payment_id', name='uq_xero_payment_links_xero')
    )


def downgrade():
    op.drop_table('xero_payment_links')
    op.drop_table('xero_invoice_links')
    with op.batch_alter_table('xero_unlinked_contact_invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xero_unlinked_contact_invoices_contact_id'))

    op.drop_table('xero_unlinked_contact_invoices')
    op.drop_table('xero_tax_rates')
    op.drop_table('xero_invoice_sync_starts')
    op.drop_table('xero_baseline_invoices')
