"""The Xero plugin's tables: the connection, settings, contact cache, links, outbox, sync runs."""
from sqlalchemy import select

from bm.extensions import db
from bm.inputs import key_text
from bm.models import FieldChangeColumns, utcnow


class XeroConnection(db.Model):
    """The practice's connection to one Xero organisation, tokens encrypted at rest.

    ``status`` is "pending" (authorised, organisation not chosen yet), "connected",
    "disconnected" (soft: Xero refused the token or the app was cut off in Xero; everything
    waits for Reconnect) or "removed" (the red Disconnect).
    """

    __tablename__ = "xero_connections"

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.String(64), index=True)
    xero_connection_id = db.Column(db.String(64))
    organisation_name = db.Column(db.String(255), nullable=False, default="")
    short_code = db.Column(db.String(32), nullable=False, default="")
    status = db.Column(db.String(16), nullable=False, default="pending")
    status_reason = db.Column(db.Text, nullable=False, default="")
    encrypted_tokens = db.Column(db.LargeBinary, nullable=False)
    access_expires_at = db.Column(db.DateTime)
    scopes = db.Column(db.Text, nullable=False, default="")
    contacts_modified_since = db.Column(db.DateTime)
    invoices_modified_since = db.Column(db.DateTime)
    daily_limit_until = db.Column(db.DateTime)
    connected_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @property
    def is_connected(self):
        return self.status == "connected"

    def organisation_contact(self, contact_id):
        """The Xero contact ``contact_id`` of this connection's organisation, or None.

        Every lookup of a contact by an id a user sent goes through here, so a contact an
        earlier connection's organisation left in the cache can never be linked under this one.
        """
        contact_id = key_text(contact_id, XeroContact.contact_id.type.length)
        return contact_id and db.session.scalar(select(XeroContact).where(
            XeroContact.contact_id == contact_id, XeroContact.tenant_id == self.tenant_id))

    def organisation_run(self, run_id):
        """The sync run ``run_id`` of this connection's organisation, or None (never an earlier one's)."""
        run = db.session.get(SyncRun, run_id)
        return run if run is not None and run.tenant_id == self.tenant_id else None


class XeroSettings(db.Model):
    """The integration's settings (one row)."""

    __tablename__ = "xero_settings"

    id = db.Column(db.Integer, primary_key=True)
    client_sync_enabled = db.Column(db.Boolean, nullable=False, default=True)
    sync_interval_minutes = db.Column(db.Integer, nullable=False, default=15)
    invoice_sync_enabled = db.Column(db.Boolean, nullable=False, default=False)
    invoice_sync_enabled_at = db.Column(db.DateTime)
    default_bank_account_id = db.Column(db.String(64), nullable=False, default="")
    default_bank_account_name = db.Column(db.String(255), nullable=False, default="")
    sales_account_code = db.Column(db.String(10), nullable=False, default="200")
    default_tax_type = db.Column(db.String(50), nullable=False, default="")


class XeroContact(db.Model):
    """The last copy of a Xero contact pulled from the organisation (for the match list)."""

    __tablename__ = "xero_contacts"

    contact_id = db.Column(db.String(64), primary_key=True)
    tenant_id = db.Column(db.String(64), nullable=False, index=True)
    name = db.Column(db.String(255), nullable=False, default="")
    contact_number = db.Column(db.String(50), nullable=False, default="")
    status = db.Column(db.String(20), nullable=False, default="ACTIVE")
    is_customer = db.Column(db.Boolean, nullable=False, default=False)
    data = db.Column(db.JSON, nullable=False)
    updated_date_utc = db.Column(db.DateTime)
    pulled_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        # The unlinked list: its filter, then its keyset order.
        db.Index("ix_xero_contacts_listing", "tenant_id", "is_customer", "status", "name", "contact_id"),
        # Look-alikes of a client: by contact code, or by a name starting with a word (ILIKE 'word%':
        # a trigram index on PostgreSQL, a plain one on SQLite, where it stays a scan).
        db.Index("ix_xero_contacts_number", "tenant_id", "contact_number"),
        db.Index("ix_xero_contacts_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
    )


class ContactLink(db.Model):
    """A practice client linked to a Xero contact, with the field values last synced.

    ``snapshot`` holds ``{field: value}`` as both sides agreed at the last sync; a side whose
    value differs from it has changed since. An archived link (``archived_at`` set) is one
    the red Disconnect removed; it is kept so a reconnection can offer to restore it.
    """

    __tablename__ = "xero_contact_links"

    id = db.Column(db.Integer, primary_key=True)
    client_id = db.Column(db.Integer, db.ForeignKey("clients.id"), nullable=False, index=True)
    tenant_id = db.Column(db.String(64), nullable=False)
    contact_id = db.Column(db.String(64), nullable=False)
    snapshot = db.Column(db.JSON, nullable=False, default=dict)
    link_batch_id = db.Column(db.Integer, db.ForeignKey("xero_link_batches.id"), index=True)
    linked_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    synced_at = db.Column(db.DateTime)
    archived_at = db.Column(db.DateTime)

    client = db.relationship("Client")

    @classmethod
    def live_for(cls, client_id):
        """The client's current link to a Xero contact, or None."""
        return cls.live_for_clients([client_id]).get(client_id)

    @classmethod
    def live_for_clients(cls, client_ids):
        """``{client_id: current link}`` for those of the clients linked to a Xero contact, in one query."""
        return {link.client_id: link for link in db.session.scalars(
            select(cls).where(cls.client_id.in_(list(client_ids)), cls.archived_at.is_(None)))}


# One live link per client and per Xero contact; archived links may repeat.
db.Index("uq_xero_contact_links_live_client", ContactLink.client_id, unique=True,
         sqlite_where=ContactLink.archived_at.is_(None), postgresql_where=ContactLink.archived_at.is_(None))
db.Index("uq_xero_contact_links_live_contact", ContactLink.tenant_id, ContactLink.contact_id, unique=True,
         sqlite_where=ContactLink.archived_at.is_(None), postgresql_where=ContactLink.archived_at.is_(None))


class OutboxEntry(db.Model):
    """Something that must reach Xero, recorded in the same transaction as the change.

    ``kind`` is "client" (create or update the client's contact), "invoice" or "payment";
    one open entry per object. ``batch_id`` ties it to the write that carries it; ``state``
    and its transitions belong to ``outbox.py``.
    """

    __tablename__ = "xero_outbox"

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(16), nullable=False)
    object_id = db.Column(db.Integer, nullable=False)
    state = db.Column(db.String(16), nullable=False, default="pending")
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.Text, nullable=False, default="")
    detail = db.Column(db.JSON, nullable=False, default=dict)
    batch_id = db.Column(db.Integer, db.ForeignKey("xero_write_batches.id"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (db.Index("ix_xero_outbox_open", "state", "kind", "object_id"),)


class WriteBatch(db.Model):
    """One batched write to Xero, saved with its Idempotency-Key and body before it is sent.

    If the answer is lost, the same request is sent again with the same key; where Xero has
    forgotten the key, the sync looks the records up instead of creating them twice.
    """

    __tablename__ = "xero_write_batches"

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.String(64), nullable=False)
    kind = db.Column(db.String(16), nullable=False)
    method = db.Column(db.String(8), nullable=False)
    idempotency_key = db.Column(db.String(128), nullable=False, unique=True)
    body = db.Column(db.JSON, nullable=False)
    object_ids = db.Column(db.JSON, nullable=False)
    state = db.Column(db.String(16), nullable=False, default="sending")
    first_sent_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    done_at = db.Column(db.DateTime)


class SyncRun(db.Model):
    """One sync of the organisation: its progress while running and its counts after."""

    __tablename__ = "xero_sync_runs"

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.String(64), nullable=False, default="")
    trigger = db.Column(db.String(20), nullable=False, default="manual")
    state = db.Column(db.String(16), nullable=False, default="queued")
    phase = db.Column(db.String(64), nullable=False, default="")
    progress = db.Column(db.Integer, nullable=False, default=0)
    counts = db.Column(db.JSON, nullable=False, default=dict)
    errors = db.Column(db.JSON, nullable=False, default=list)
    message = db.Column(db.Text, nullable=False, default="")
    queued_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    started_at = db.Column(db.DateTime)
    finished_at = db.Column(db.DateTime)



class MatchSuggestion(db.Model):
    """A practice client suggested for an unlinked Xero customer, worked out after each sync."""

    __tablename__ = "xero_match_suggestions"

    contact_id = db.Column(db.String(64), primary_key=True)
    client_id = db.Column(db.Integer, db.ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    score = db.Column(db.Integer, nullable=False)
    reasons = db.Column(db.JSON, nullable=False, default=list)


# Xero's invoice statuses, by what they mean here.
DRAFT_IN_XERO = ("DRAFT", "SUBMITTED")
APPROVED_IN_XERO = ("AUTHORISED", "PAID")
GONE_IN_XERO = ("VOIDED", "DELETED")


class InvoiceLink(db.Model):
    """A practice invoice shared with a Xero sales invoice, and what Xero last said about it.

    ``origin`` is "practice" (raised here, sent to Xero as a draft) or "xero" (raised in Xero
    and brought in); ``practice_number`` keeps the number a practice-raised invoice carried
    before it took the Xero invoice number.
    """

    __tablename__ = "xero_invoice_links"

    id = db.Column(db.Integer, primary_key=True)
    invoice_id = db.Column(db.Integer, db.ForeignKey("invoices.id"), nullable=False, unique=True)
    tenant_id = db.Column(db.String(64), nullable=False)
    xero_invoice_id = db.Column(db.String(64), nullable=False)
    xero_number = db.Column(db.String(255), nullable=False, default="")
    xero_status = db.Column(db.String(16), nullable=False, default="DRAFT")
    practice_number = db.Column(db.String(255), nullable=False, default="")
    origin = db.Column(db.String(16), nullable=False, default="practice")
    xero_updated_at = db.Column(db.DateTime)
    linked_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    invoice = db.relationship("Invoice")

    __table_args__ = (db.UniqueConstraint("tenant_id", "xero_invoice_id", name="uq_xero_invoice_links_xero"),)

    @classmethod
    def for_invoice(cls, invoice_id):
        """The invoice's link to a Xero invoice, or None."""
        return cls.for_invoices([invoice_id]).get(invoice_id)

    @classmethod
    def for_invoices(cls, invoice_ids):
        """``{invoice_id: link to a Xero invoice}`` for those of the invoices that have one, in one query."""
        return {link.invoice_id: link for link in
                db.session.scalars(select(cls).where(cls.invoice_id.in_(list(invoice_ids))))}

    @property
    def approved_in_xero(self):
        return self.xero_status in APPROVED_IN_XERO


class PaymentLink(db.Model):
    """A practice payment that is also a Xero payment, so each is recorded once on each side."""

    __tablename__ = "xero_payment_links"

    id = db.Column(db.Integer, primary_key=True)
    payment_id = db.Column(db.Integer, db.ForeignKey("payments.id"), nullable=False, unique=True)
    tenant_id = db.Column(db.String(64), nullable=False)
    xero_payment_id = db.Column(db.String(64), nullable=False)
    origin = db.Column(db.String(16), nullable=False, default="practice")
    linked_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (db.UniqueConstraint("tenant_id", "xero_payment_id", name="uq_xero_payment_links_xero"),)


class InvoiceSyncStart(db.Model):
    """When invoice sync was switched on for an organisation (its baseline was taken then).

    Xero sales invoices listed in ``xero_baseline_invoices`` existed at that moment and are
    never brought into the practice, however often they change later.
    """

    __tablename__ = "xero_invoice_sync_starts"

    tenant_id = db.Column(db.String(64), primary_key=True)
    enabled_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    invoices_before = db.Column(db.Integer, nullable=False, default=0)


class BaselineInvoice(db.Model):
    """A Xero sales invoice that already existed when invoice sync was switched on."""

    __tablename__ = "xero_baseline_invoices"

    tenant_id = db.Column(db.String(64), primary_key=True)
    invoice_id = db.Column(db.String(64), primary_key=True)


class XeroTaxRate(db.Model):
    """The organisation's tax rates as last read from Xero, to pick a TaxType for a line's rate."""

    __tablename__ = "xero_tax_rates"

    tenant_id = db.Column(db.String(64), primary_key=True)
    tax_type = db.Column(db.String(50), primary_key=True)
    name = db.Column(db.String(255), nullable=False, default="")
    rate = db.Column(db.String(20), nullable=False, default="0")
    report_tax_type = db.Column(db.String(50), nullable=False, default="")
    status = db.Column(db.String(20), nullable=False, default="ACTIVE")
    read_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class UnlinkedContactInvoice(db.Model):
    """A Xero sales invoice raised after invoice sync started, for a contact not linked yet.

    When the contact is linked (Merge, Create in BrightManager), the next sync fetches these
    by id and brings them in, since the pull's watermark has already passed them.
    """

    __tablename__ = "xero_unlinked_contact_invoices"

    tenant_id = db.Column(db.String(64), primary_key=True)
    invoice_id = db.Column(db.String(64), primary_key=True)
    contact_id = db.Column(db.String(64), nullable=False, index=True)


class LinkBatch(db.Model):
    """Links made together ("Link all at 95% or above"), so they can be undone together."""

    __tablename__ = "xero_link_batches"

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.String(64), nullable=False)
    threshold = db.Column(db.Integer, nullable=False)
    made_by = db.Column(db.String(255), nullable=False, default="")
    made_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    undone_at = db.Column(db.DateTime)


class FieldChange(FieldChangeColumns, db.Model):
    """One field changed by the sync: on which record, which side it came from, before and after.

    ``source`` is the side the change was made on ("xero" when Xero's value was copied into the
    practice, "practice" when the practice's value was written to Xero); ``conflict`` marks a
    field changed on both sides, where this change won.
    """

    __tablename__ = "xero_field_changes"

    id = db.Column(db.Integer, primary_key=True)
    run_id = db.Column(db.Integer, db.ForeignKey("xero_sync_runs.id", ondelete="SET NULL"), index=True)
    source = db.Column(db.String(16), nullable=False)
    conflict = db.Column(db.Boolean, nullable=False, default=False)
    changed_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)

    __table_args__ = (db.Index("ix_xero_field_changes_record", "record_kind", "record_id", "changed_at"),)
