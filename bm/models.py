"""The practice's data: users, clients, invoices with lines and payments, settings."""
import hashlib
import secrets
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from flask_login import UserMixin
from sqlalchemy import BigInteger, Index
from sqlalchemy.types import TypeDecorator
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db


def utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None)


class ScaledDecimal(TypeDecorator):
    """A Decimal stored exactly as a scaled integer, the same on SQLite and PostgreSQL.

    ``largest`` is what the services accept: far inside the 64-bit column, so that a line's
    amount and an invoice's total checked against it always fit too.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, places=2, largest="999999999999.99"):
        super().__init__()
        self.places = places
        self.quantum = Decimal(1).scaleb(-places)
        self.largest = Decimal(largest)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int(Decimal(value).quantize(self.quantum, rounding=ROUND_HALF_UP).scaleb(self.places))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value).scaleb(-self.places).quantize(self.quantum)


Money = ScaledDecimal(2)
Quantity = ScaledDecimal(4, largest="999999999.9999")
ZERO = Decimal("0.00")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    ROLES = ("admin", "staff")

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(255), nullable=False, unique=True)
    name = db.Column(db.String(255), nullable=False, default="")
    password_hash = db.Column(db.String(255), nullable=False)
    role = db.Column(db.String(16), nullable=False, default="staff")
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_login_at = db.Column(db.DateTime)

    session_token = None  # this request's UserSession token, set when the user is signed in

    @property
    def is_admin(self):
        return self.role == "admin"

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        # The cookie holds a session's token, not the user's id: ending the session ends it.
        return self.session_token

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)


@cache
def _unknown_user_hash():
    return generate_password_hash(secrets.token_hex(16))


def password_matches(user, password):
    """Check ``password`` against ``user`` or, when there is none, against a dummy hash.

    Hashing either way makes a login take as long for an unknown e-mail as for a known one.
    """
    return check_password_hash(user.password_hash if user else _unknown_user_hash(), password)


def token_digest(token):
    """The SHA-256 of a secret token: tables keep this, so a copy of the database signs no one in."""
    return hashlib.sha256(token.encode()).hexdigest()


class UserSession(db.Model):
    """A signed-in browser; deleting the row signs that browser out, wherever its cookie is."""

    __tablename__ = "user_sessions"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class PasswordReset(db.Model):
    """A one-time link that lets a user set a new password, until it is used or expires."""

    __tablename__ = "password_resets"

    token_hash = db.Column(db.String(64), primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    expires_at = db.Column(db.DateTime, nullable=False)

    user = db.relationship("User")


class FormSubmission(db.Model):
    """A one-time form token already posted, and where its first submission led."""

    __tablename__ = "form_submissions"

    token = db.Column(db.String(64), primary_key=True)
    location = db.Column(db.String(255), nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)


class LoginAttempt(db.Model):
    """A failed login, kept for a while to throttle guessing."""

    __tablename__ = "login_attempts"

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(255), nullable=False, index=True)
    remote_addr = db.Column(db.String(64), nullable=False, default="", index=True)
    attempted_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)


class Client(db.Model):
    __tablename__ = "clients"
    KINDS = ("business", "individual")
    SYNCED_FIELDS = (
        "name", "first_name", "last_name", "email", "phone", "address_line1", "address_line2",
        "city", "region", "postcode", "country", "tax_number", "account_number",
    )
    EDITABLE_FIELDS = ("reference", "kind") + SYNCED_FIELDS + ("notes",)

    id = db.Column(db.Integer, primary_key=True)
    reference = db.Column(db.String(50), nullable=False, unique=True)
    kind = db.Column(db.String(16), nullable=False, default="business")
    name = db.Column(db.String(255), nullable=False)
    first_name = db.Column(db.String(255), nullable=False, default="")
    last_name = db.Column(db.String(255), nullable=False, default="")
    email = db.Column(db.String(255), nullable=False, default="")
    phone = db.Column(db.String(50), nullable=False, default="")
    address_line1 = db.Column(db.String(255), nullable=False, default="")
    address_line2 = db.Column(db.String(255), nullable=False, default="")
    city = db.Column(db.String(255), nullable=False, default="")
    region = db.Column(db.String(255), nullable=False, default="")
    postcode = db.Column(db.String(50), nullable=False, default="")
    country = db.Column(db.String(50), nullable=False, default="")
    tax_number = db.Column(db.String(50), nullable=False, default="")
    account_number = db.Column(db.String(50), nullable=False, default="")
    notes = db.Column(db.Text, nullable=False, default="")
    archived = db.Column(db.Boolean, nullable=False, default=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_clients_archived_name", "archived", "name", "id"),
        # The client search is ILIKE '%...%' over these: trigram indexes on PostgreSQL
        # (plain ones on SQLite, where the search stays a scan).
        *(Index(f"ix_clients_{field}_trgm", field, postgresql_using="gin",
                postgresql_ops={field: "gin_trgm_ops"}) for field in ("name", "email", "reference")),
    )

    def as_dict(self):
        """The client's fields as a plain dict (what matching and plugins read)."""
        fields = ("id",) + self.EDITABLE_FIELDS + ("archived",)
        return {field: getattr(self, field) for field in fields}


class PracticeSettings(db.Model):
    """The practice's single row of settings, including the invoice number sequence."""

    __tablename__ = "practice_settings"

    id = db.Column(db.Integer, primary_key=True)
    invoice_prefix = db.Column(db.String(20), nullable=False, default="BM-")
    invoice_next_number = db.Column(db.Integer, nullable=False, default=1)
    payment_terms_days = db.Column(db.Integer, nullable=False, default=14)
    history_days = db.Column(db.Integer, nullable=False, default=365, server_default="365")
    practice_name = db.Column(db.String(255), nullable=False, default="", server_default="")
    practice_address = db.Column(db.Text, nullable=False, default="", server_default="")


class Invoice(db.Model):
    __tablename__ = "invoices"
    STATUSES = ("draft", "awaiting_payment", "paid", "void")
    STATUS_LABELS = {
        "draft": "Draft", "awaiting_payment": "Awaiting payment", "paid": "Paid", "void": "Void",
    }

    id = db.Column(db.Integer, primary_key=True)
    number = db.Column(db.String(255), nullable=False, unique=True)
    client_id = db.Column(db.Integer, db.ForeignKey("clients.id"), nullable=False)
    date = db.Column(db.Date, nullable=False, default=date.today)
    due_date = db.Column(db.Date, nullable=False)
    reference = db.Column(db.String(255), nullable=False, default="")
    status = db.Column(db.String(20), nullable=False, default="draft")
    subtotal = db.Column(Money, nullable=False, default=ZERO)
    tax_total = db.Column(Money, nullable=False, default=ZERO)
    total = db.Column(Money, nullable=False, default=ZERO)
    amount_paid = db.Column(Money, nullable=False, default=ZERO)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    client = db.relationship("Client", backref=db.backref("invoices", lazy="dynamic"))
    lines = db.relationship(
        "InvoiceLine", order_by="InvoiceLine.position", cascade="all, delete-orphan",
        back_populates="invoice",
    )
    payments = db.relationship(
        "Payment", order_by="Payment.id", cascade="all, delete-orphan", back_populates="invoice",
    )

    __mapper_args__ = {"version_id_col": version}
    # The list's order (newest first, keyset-paged), alone and after each of its filters.
    __table_args__ = (
        Index("ix_invoices_date", "date", "id"),
        Index("ix_invoices_client_date", "client_id", "date", "id"),
        Index("ix_invoices_status_date", "status", "date", "id"),
    )

    @property
    def amount_due(self):
        return self.total - self.amount_paid

    @property
    def status_label(self):
        return self.STATUS_LABELS[self.status]


class InvoiceLine(db.Model):
    __tablename__ = "invoice_lines"

    id = db.Column(db.Integer, primary_key=True)
    invoice_id = db.Column(db.Integer, db.ForeignKey("invoices.id"), nullable=False, index=True)
    position = db.Column(db.Integer, nullable=False, default=0)
    description = db.Column(db.Text, nullable=False)
    quantity = db.Column(Quantity, nullable=False, default=Decimal(1))
    unit_price = db.Column(Money, nullable=False, default=ZERO)
    tax_rate = db.Column(ScaledDecimal(4), nullable=False, default=Decimal(0))
    line_amount = db.Column(Money, nullable=False, default=ZERO)
    tax_amount = db.Column(Money, nullable=False, default=ZERO)

    invoice = db.relationship("Invoice", back_populates="lines")


class Payment(db.Model):
    __tablename__ = "payments"

    id = db.Column(db.Integer, primary_key=True)
    invoice_id = db.Column(db.Integer, db.ForeignKey("invoices.id"), nullable=False, index=True)
    date = db.Column(db.Date, nullable=False, default=date.today)
    amount = db.Column(Money, nullable=False)
    reference = db.Column(db.String(255), nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    invoice = db.relationship("Invoice", back_populates="payments")


class FieldChangeColumns:
    """The columns of one field's change: which record, which field, its value before and after."""

    record_kind = db.Column(db.String(16), nullable=False)
    record_id = db.Column(db.Integer, nullable=False)
    field = db.Column(db.String(64), nullable=False)
    before = db.Column(db.Text, nullable=False, default="")
    after = db.Column(db.Text, nullable=False, default="")


class HistoryEntry(FieldChangeColumns, db.Model):
    """One field of a client or invoice changed: by whom, when, before and after.

    ``actor`` is the user's name (or email) at the time, or what acted for nobody in
    particular ("Xero sync", "System"); ``user_id`` is set when a user did it.
    """

    __tablename__ = "history_entries"

    id = db.Column(db.Integer, primary_key=True)
    actor = db.Column(db.String(255), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    changed_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)

    __table_args__ = (Index("ix_history_entries_record", "record_kind", "record_id", "changed_at"),)


class PluginState(db.Model):
    """Whether an installed plugin is enabled; a plugin with no row is enabled."""

    __tablename__ = "plugin_states"

    name = db.Column(db.String(100), primary_key=True)
    enabled = db.Column(db.Boolean, nullable=False, default=True)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
