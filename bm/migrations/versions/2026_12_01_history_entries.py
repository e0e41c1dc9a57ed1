"""Who changed what: the history of every client and invoice; the practice's name, address and history retention.

The retention (``history_days``) was the Xero plugin's setting; the plugin's own migration
copies its value here and drops its column, so the one setting governs both histories.

Revision ID: 4c8e2f6a9b1d
Revises: 3c9e5d7a1f20
Create Date: 2026-12-01 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "4c8e2f6a9b1d"
down_revision = "3c9e5d7a1f20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "history_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_history_entries_user_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_entries")),
    )
    with op.batch_alter_table("history_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_history_entries_changed_at"), ["changed_at"], unique=False)
        batch_op.create_index("ix_history_entries_record", ["record_kind", "record_id", "changed_at"], unique=False)
    with op.batch_alter_table("practice_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("history_days", sa.Integer(), nullable=False, server_default="365"))
        batch_op.add_column(sa.Column("practice_name", sa.String(length=255), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("practice_address", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("practice_settings", schema=None) as batch_op:
        batch_op.drop_column("practice_address")
        batch_op.drop_column("practice_name")
        batch_op.drop_column("history_days")
    with op.batch_alter_table("history_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_history_entries_record")
        batch_op.drop_index(batch_op.f("ix_history_entries_changed_at"))
    op.drop_table("history_entries")
