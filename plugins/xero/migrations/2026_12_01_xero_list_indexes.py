"""Xero contact copy: the unlinked list's index ends in contact_id, and look-alike lookups get theirs.

The unlinked-customer list pages by keyset over (name, contact_id); with contact_id in the
index the seek past the previous page's last row is an index condition, not a filter. The
client file's "looks like the same client" check finds contacts whose name starts with a word
(ILIKE 'word%', which a trigram index serves on PostgreSQL) or that carry the client's reference
as their code; it read every contact (54 ms at 30,000).

Revision ID: 9c2e4b7d1f03
Revises: 9e4a7c2b5d13
Create Date: 2026-12-01 06:30:00

"""
from alembic import op

from bm.migration_ops import trigram_operator_class

revision = "9c2e4b7d1f03"
down_revision = "9e4a7c2b5d13"
branch_labels = None
depends_on = None


def upgrade():
    operator_class = trigram_operator_class(op.get_bind())
    with op.batch_alter_table("xero_contacts") as batch_op:
        batch_op.drop_index("ix_xero_contacts_listing")
        batch_op.create_index("ix_xero_contacts_listing", ["tenant_id", "is_customer", "status", "name", "contact_id"])
        batch_op.create_index("ix_xero_contacts_number", ["tenant_id", "contact_number"])
        batch_op.create_index("ix_xero_contacts_name_trgm", ["name"], postgresql_using="gin",
                              postgresql_ops={"name": operator_class})


def downgrade():
    with op.batch_alter_table("xero_contacts") as batch_op:
        batch_op.drop_index("ix_xero_contacts_name_trgm")
        batch_op.drop_index("ix_xero_contacts_number")
        batch_op.drop_index("ix_xero_contacts_listing")
        batch_op.create_index("ix_xero_contacts_listing", ["tenant_id", "is_customer", "status", "name"])
