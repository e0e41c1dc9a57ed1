"""Server-side sessions, one-time password reset links and form tokens; login attempts by address.

A session cookie now names a row of user_sessions, so signing out deletes that row and a
copied cookie stops working; a password change deletes all of the user's rows. The per-user
users.session_token this replaces is dropped (everyone signs in again once).

Revision ID: 3c9e5d7a1f20
Revises: 7a1c3e9b2d40
Create Date: 2026-11-27 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "3c9e5d7a1f20"
down_revision = "7a1c3e9b2d40"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"], unique=False)
    op.create_table(
        "password_resets",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_password_resets_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_password_resets")),
    )
    op.create_index(op.f("ix_password_resets_user_id"), "password_resets", ["user_id"], unique=False)
    op.create_table(
        "form_submissions",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_form_submissions")),
    )
    op.create_index(op.f("ix_form_submissions_created_at"), "form_submissions", ["created_at"], unique=False)
    op.create_index(op.f("ix_login_attempts_remote_addr"), "login_attempts", ["remote_addr"], unique=False)
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("session_token")


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=False, server_default=""))
    op.drop_index(op.f("ix_login_attempts_remote_addr"), table_name="login_attempts")
    op.drop_index(op.f("ix_form_submissions_created_at"), table_name="form_submissions")
    op.drop_table("form_submissions")
    op.drop_index(op.f("ix_password_resets_user_id"), table_name="password_resets")
    op.drop_table("password_resets")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
