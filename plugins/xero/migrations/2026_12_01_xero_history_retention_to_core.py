"""The history retention moves to the practice's settings, which now keep both histories' one setting.

A retention chosen in Integration Settings is carried over (unless the practice's settings
already say otherwise); downgrading copies it back.

Revision ID: 9e4a7c2b5d13
Revises: 2da2a73785e4
Create Date: 2026-12-01 09:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = "9e4a7c2b5d13"
down_revision = "2da2a73785e4"
branch_labels = None
depends_on = ("4c8e2f6a9b1d",)  # the core's practice_settings.history_days


def upgrade():
    op.execute("INSERT INTO practice_settings (id, invoice_prefix, invoice_next_number, payment_terms_days, "
               "history_days, practice_name, practice_address) "
               "SELECT 1, 'BM-', 1, 14, history_days, '', '' FROM xero_settings WHERE id = 1 "
               "AND NOT EXISTS (SELECT 1 FROM practice_settings WHERE id = 1)")
    op.execute("UPDATE practice_settings SET history_days = "
               "(SELECT history_days FROM xero_settings WHERE xero_settings.id = 1) "
               "WHERE id = 1 AND history_days = 365 AND EXISTS (SELECT 1 FROM xero_settings WHERE id = 1)")
    with op.batch_alter_table("xero_settings", schema=None) as batch_op:
        batch_op.drop_column("history_days")


def downgrade():
    with op.batch_alter_table("xero_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("history_days", sa.Integer(), nullable=False, server_default="365"))
    op.execute("UPDATE xero_settings SET history_days = "
               "(SELECT history_days FROM practice_settings WHERE practice_settings.id = 1) "
               "WHERE EXISTS (SELECT 1 FROM practice_settings WHERE id = 1)")
