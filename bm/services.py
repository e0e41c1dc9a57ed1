"""The only code that changes the practice's data.

Each function validates, changes the session, flushes, and fires the lifecycle hook, all
inside the caller's transaction: the caller commits (views do so once per request), so a
plugin's staged rows commit or roll back together with the change that caused them.
Invalid input raises ``ValidationError`` with a message per field; nothing is changed then.
Every change to a client or invoice is written to its history (``bm.history``) in the same
transaction, with the ``actor`` who made it: a ``User``, a label such as "Xero sync", or None.
"""
import re
import secrets
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.exc import StaleDataError
from zxcvbn import zxcvbn

from . import history
from .extensions import db
from .inputs import ASCII_DIGITS, EARLIEST_DATE, LATEST_DATE, whole_number
from .models import (
    ZERO, Client, Invoice, InvoiceLine, Money, PasswordReset, Payment, PracticeSettings, Quantity, User,
    UserSession, token_digest, utcnow,
)
from .plugins import current_plugins

EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
CENT = Decimal("0.01")
LARGEST_INVOICE_NUMBER = 999_999_999  # far below the integer column, so taking numbers never overflows
NUL_MESSAGE = "Remove the invisible control characters (a NUL byte) from this field."


class ValidationError(Exception):
    """Invalid input: ``errors`` maps a field name (or ``"_form"``) to a message."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class ConflictError(ValidationError):
    """The record changed since the user loaded it; their edit would overwrite someone's."""

    def __init__(self, what):
        super().__init__({"_form": f"This {what} was changed by someone else while you were editing. "
                                   "Review the current values and save again."})


def _check_version(expected_version, record, what):
    """Raise ConflictError unless the version the user edited (None: not checked) is the record's."""
    if expected_version is not None and whole_number(expected_version) != record.version:
        raise ConflictError(what)


def _flush_versioned(what):
    """Flush an edit; a row saved by someone else since it was read raises ConflictError."""
    try:
        db.session.flush()
    except StaleDataError:
        raise ConflictError(what) from None


def _check_text(model, values, errors):
    """Add a message for each text value longer than its column or holding a NUL byte."""
    for field, value in values.items():
        if not isinstance(value, str) or field not in model.__table__.c:
            continue
        limit = getattr(model.__table__.c[field].type, "length", None)
        if "\x00" in value:
            errors[field] = NUL_MESSAGE
        elif limit and len(value) > limit:
            errors[field] = f"Use at most {limit} characters."


# ---------------------------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------------------------


def clean_client_data(data, client=None):
    """Return ``data`` trimmed and checked for a client; raise ValidationError if invalid."""
    values = {}
    for field in Client.EDITABLE_FIELDS:
        if field in data or client is None:
            raw = data.get(field)
            values[field] = "" if raw is None else str(raw).strip()
    errors = {}
    kind = values.get("kind", client.kind if client else "business") or "business"
    values["kind"] = kind
    if kind not in Client.KINDS:
        errors["kind"] = "Choose business or individual."
    if "name" in values and not values["name"] and kind == "individual":
        values["name"] = " ".join(
            part for part in (values.get("first_name", ""), values.get("last_name", "")) if part
        )
    if "name" in values and not values["name"]:
        errors["name"] = "Enter the client's name."
    if values.get("email") and not EMAIL_RE.match(values["email"]):
        errors["email"] = "Enter a valid email address, like name@example.com."
    _check_text(Client, values, errors)
    if "reference" in values:
        if not values["reference"]:
            values["reference"] = next_client_reference()
        else:
            clash = db.session.scalar(select(Client.id).where(Client.reference == values["reference"]))
            if clash and (client is None or clash != client.id):
                errors["reference"] = f"Reference {values['reference']} is already used by another client."
    if errors:
        raise ValidationError(errors)
    return values


def next_client_reference():
    """Return the next free reference of the form C0001."""
    references = db.session.scalars(select(Client.reference).where(Client.reference.like("C%")))
    numbers = [int(ref[1:]) for ref in references if ASCII_DIGITS.fullmatch(ref[1:])]
    return f"C{(max(numbers, default=0) + 1):04d}"


def create_client(data, source="user", actor=None):
    """Create a client from a dict of its fields; fires ``client_created``.

    :param data: field values (``Client.EDITABLE_FIELDS``); a blank reference gets the next one.
    :param source: ``"user"`` or the name of the plugin creating it.
    :param actor: who is creating it, for the history (see the module's docstring).
    :return: the new, flushed ``Client``.
    """
    client = Client(**clean_client_data(data))
    db.session.add(client)
    db.session.flush()
    history.record("client", client.id, "created", "", client.name, actor)
    current_plugins().fire("client_created", client=client, source=source)
    return client


def update_client(client, data, source="user", expected_version=None, actor=None):
    """Change a client's fields; fires ``client_updated`` with the changed fields.

    :param data: the fields to change (others are left alone).
    :param expected_version: the version the user edited; a newer one raises ConflictError.
    :param actor: who is changing it, for the history.
    :return: ``{field: (old, new)}``, empty when nothing changed.
    """
    _check_version(expected_version, client, "client")
    values = clean_client_data(data, client)
    changes = {
        field: (getattr(client, field), value)
        for field, value in values.items()
        if getattr(client, field) != value
    }
    for field, (_old, new) in changes.items():
        setattr(client, field, new)
    if changes:
        _flush_versioned("client")
        history.record_changes("client", client.id, changes, actor)
        current_plugins().fire("client_updated", client=client, changes=changes, source=source)
    return changes


def set_client_archived(client, archived, source="user", actor=None):
    """Archive or unarchive a client; fires ``client_archived`` and ``client_updated``."""
    if client.archived == archived:
        return
    client.archived = archived
    db.session.flush()
    history.record("client", client.id, "archived", not archived, archived, actor)
    if archived:
        current_plugins().fire("client_archived", client=client)
    current_plugins().fire(
        "client_updated", client=client, changes={"archived": (not archived, archived)}, source=source
    )


def import_clients(rows, actor=None):
    """Create clients from parsed CSV rows, all or nothing; fires ``clients_imported`` once.

    :param rows: a list of dicts of client fields.
    :param actor: who is importing them, for the history.
    :return: the new clients.
    :raises ImportRejected: with ``row_errors`` ``[(row_number, {field: message})]``.
    """
    row_errors = check_import(rows)
    if row_errors:
        raise ImportRejected(row_errors)
    clients = []
    for row in rows:
        client = Client(**clean_client_data(row))
        db.session.add(client)
        db.session.flush()
        history.record("client", client.id, "created", "", f"{client.name} (imported)", actor)
        clients.append(client)
    current_plugins().fire("clients_imported", clients=clients)
    return clients


class ImportRejected(Exception):
    """A CSV import with invalid rows; nothing was imported."""

    def __init__(self, row_errors):
        super().__init__(f"{len(row_errors)} rows have errors")
        self.row_errors = row_errors


def check_import(rows):
    """Return ``[(row_number, {field: message})]`` for rows that cannot be imported."""
    row_errors = []
    seen_references = {}
    existing = set(db.session.scalars(select(Client.reference)))
    # References written in the file are never handed to a blank row of the same file.
    written = {(row.get("reference") or "").strip() for row in rows}
    next_number = int(next_client_reference()[1:])
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        errors = {}
        reference = (row.get("reference") or "").strip()
        if not reference:
            reference = f"C{next_number:04d}"
            while reference in existing or reference in seen_references or reference in written:
                next_number += 1
                reference = f"C{next_number:04d}"
            row["reference"] = reference
        if reference in existing:
            errors["reference"] = f"Reference {reference} is already used by another client."
        elif reference in seen_references:
            errors["reference"] = f"Reference {reference} also appears on row {seen_references[reference]}."
        seen_references.setdefault(reference, number)
        try:
            cleaned = clean_client_data({**row, "reference": "__unchecked__"})
            del cleaned["reference"]
        except ValidationError as exc:
            errors.update({k: v for k, v in exc.errors.items() if k != "reference"})
        if errors:
            row_errors.append((number, errors))
    return row_errors


# ---------------------------------------------------------------------------------------------
# Invoices
# ---------------------------------------------------------------------------------------------


def practice_settings():
    """Return the practice's settings row, creating it on first use."""
    return single_row(PracticeSettings)


def single_row(model):
    """Return row 1 of a one-row settings table, creating it on first use.

    Two first requests (or workers) may race to create the row: the loser's insert does nothing.
    """
    row = db.session.get(model, 1)
    if row is None:
        dialect = db.session.get_bind().dialect.name
        insert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[dialect]
        db.session.execute(insert(model).values(id=1).on_conflict_do_nothing())
        row = db.session.get(model, 1)
    return row


def update_practice_settings(data):
    """Change the invoice numbering, payment terms, history retention and the practice's name and address.

    A field missing from ``data`` is left as it is; raise ValidationError if any is bad.
    """
    errors = {}
    prefix = (data.get("invoice_prefix") or "").strip()
    if len(prefix) > 20:
        errors["invoice_prefix"] = "Use at most 20 characters."
    next_number = whole_number(data.get("invoice_next_number"), 1, LARGEST_INVOICE_NUMBER)
    if next_number is None:
        errors["invoice_next_number"] = f"Enter a whole number from 1 to {LARGEST_INVOICE_NUMBER:,}."
    terms = whole_number(data.get("payment_terms_days"), 0, 365)
    if terms is None:
        errors["payment_terms_days"] = "Enter a number of days from 0 to 365."
    if "\x00" in prefix:
        errors["invoice_prefix"] = NUL_MESSAGE
    values = {}
    if "history_days" in data:
        values["history_days"] = whole_number(data.get("history_days"), 1, 3650)
        if values["history_days"] is None:
            errors["history_days"] = "Enter a number of days from 1 to 3650."
    text = {field: str(data[field] or "").strip().replace("\r\n", "\n")
            for field in ("practice_name", "practice_address") if field in data}
    _check_text(PracticeSettings, text, errors)
    values.update(text)
    if errors:
        raise ValidationError(errors)
    settings = practice_settings()
    settings.invoice_prefix, settings.invoice_next_number, settings.payment_terms_days = (
        prefix, next_number, terms,
    )
    for field, value in values.items():
        setattr(settings, field, value)


def take_invoice_number():
    """Take the next practice invoice number, atomically (gapless: rolls back with the caller)."""
    practice_settings()
    prefix, number = db.session.execute(
        update(PracticeSettings)
        .where(PracticeSettings.id == 1)
        .values(invoice_next_number=PracticeSettings.invoice_next_number + 1)
        .returning(PracticeSettings.invoice_prefix, PracticeSettings.invoice_next_number - 1)
    ).one()
    return f"{prefix}{number:04d}"


def _decimal(value, field, errors, kind=Money, minimum=None):
    """Parse a number for a column of ``kind``, from ``minimum`` up to the largest it accepts."""
    try:
        number = Decimal(str(value).strip().replace(",", ""))
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors[field] = "Enter a number."
        return None
    if minimum is not None and number < minimum:
        errors[field] = f"Enter {minimum} or more." if minimum else "Enter a number that is not negative."
        return None
    if number > kind.largest:
        errors[field] = f"Enter at most {kind.largest:,}."
        return None
    return number.quantize(kind.quantum, rounding=ROUND_HALF_UP)


def _date(value, field, errors):
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            errors[field] = "Enter a date like 2026-01-31."
            return None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        errors[field] = f"Enter a date from {EARLIEST_DATE} to {LATEST_DATE}."
        return None
    return day


def clean_invoice_data(data):
    """Check an invoice's fields and lines; return clean values or raise ValidationError.

    Line errors are keyed ``lines-N-field`` (N from 0).
    """
    errors = {}
    values = {}
    if "date" in data:
        values["date"] = _date(data["date"], "date", errors)
    if "due_date" in data and data["due_date"] not in (None, ""):
        values["due_date"] = _date(data["due_date"], "due_date", errors)
    if "reference" in data:
        values["reference"] = str(data["reference"] or "").strip()
    _check_text(Invoice, values, errors)
    if values.get("date") and values.get("due_date") and values["due_date"] < values["date"]:
        errors["due_date"] = "The due date cannot be before the invoice date."
    lines = []
    for index, line in enumerate(data.get("lines") or []):
        if not any(str(line.get(key) or "").strip() for key in ("description", "unit_price")):
            continue  # a blank row in the form
        description = str(line.get("description") or "").strip()
        if not description:
            errors[f"lines-{index}-description"] = "Describe the line."
        elif "\x00" in description:
            errors[f"lines-{index}-description"] = NUL_MESSAGE
        quantity = _decimal(line.get("quantity") or "1", f"lines-{index}-quantity", errors,
                            Quantity, minimum=Decimal(0))
        unit_price = _decimal(line.get("unit_price") or "0", f"lines-{index}-unit_price", errors,
                              minimum=Decimal(0))
        tax_rate = _decimal(line.get("tax_rate") or "0", f"lines-{index}-tax_rate", errors,
                            Quantity, minimum=Decimal(0))
        if tax_rate is not None and tax_rate > 100:
            errors[f"lines-{index}-tax_rate"] = "Enter a rate from 0 to 100."
        lines.append({"description": description, "quantity": quantity,
                      "unit_price": unit_price, "tax_rate": tax_rate})
        if None not in (quantity, unit_price, tax_rate) and _line_total(quantity, unit_price, tax_rate) > Money.largest:
            errors[f"lines-{index}-unit_price"] = f"This line comes to more than {Money.largest:,}."
    if "lines" in data and not lines:
        errors["lines"] = "Add at least one line."
    if not errors and sum(_line_total(**line) for line in lines) > Money.largest:
        errors["lines"] = f"The invoice comes to more than {Money.largest:,}, the largest amount it can hold."
    if errors:
        raise ValidationError(errors)
    if "lines" in data:
        values["lines"] = lines
    return values


def _line_total(quantity, unit_price, tax_rate, **_description):
    """A line's amount with its tax, unrounded (only to check it against the largest amount)."""
    return quantity * unit_price * (1 + tax_rate / 100)


def _set_lines(invoice, lines):
    invoice.lines = [
        InvoiceLine(position=position, **line) for position, line in enumerate(lines)
    ]
    recalculate(invoice)


def recalculate(invoice):
    """Work out line, tax and invoice totals (tax-exclusive prices, tax rounded per line)."""
    subtotal = tax_total = ZERO
    for line in invoice.lines:
        line.line_amount = (line.quantity * line.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
        line.tax_amount = (line.line_amount * line.tax_rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        subtotal += line.line_amount
        tax_total += line.tax_amount
    invoice.subtotal, invoice.tax_total, invoice.total = subtotal, tax_total, subtotal + tax_total


def line_dicts(invoice):
    """Return an invoice's lines as plain dicts (for change records and plugins)."""
    return [
        {"description": line.description, "quantity": line.quantity,
         "unit_price": line.unit_price, "tax_rate": line.tax_rate}
        for line in invoice.lines
    ]


def create_invoice(client, data, source="user", number=None, status="draft", actor=None):
    """Raise an invoice for a client; fires ``invoice_created``.

    :param data: ``date``, ``due_date``, ``reference`` and ``lines`` (dicts of description,
        quantity, unit_price, tax_rate).
    :param number: the number to use (a plugin bringing in another system's invoice); when
        None the next practice number is taken.
    :param status: the starting status (plugins may bring in approved invoices).
    :param actor: who is raising it, for the history.
    """
    if client.archived and source == "user":
        raise ValidationError({"_form": "This client is archived; unarchive them to invoice."})
    values = clean_invoice_data({"date": date.today(), **data})
    if "due_date" not in values:
        values["due_date"] = values["date"] + timedelta(days=practice_settings().payment_terms_days)
    lines = values.pop("lines", [])
    if number is None:
        number = take_invoice_number()
    if db.session.scalar(select(Invoice.id).where(Invoice.number == number)):
        raise ValidationError({"_form": f"Invoice number {number} is already used. "
                                        "Change the next invoice number in Settings."})
    invoice = Invoice(client=client, number=number, status=status, **values)
    _set_lines(invoice, lines)
    db.session.add(invoice)
    db.session.flush()
    history.record("invoice", invoice.id, "created", "", f"{number} for {client.name}, total {invoice.total}", actor)
    current_plugins().fire("invoice_created", invoice=invoice, source=source)
    return invoice


def invoice_lock_reason(invoice):
    """Return why the invoice cannot be edited here, or None if it can."""
    if invoice.status != "draft":
        return f"This invoice is {invoice.status_label.lower()}; only draft invoices can be edited."
    return current_plugins().first("invoice_lock_reason", invoice=invoice)


def update_invoice(invoice, data, source="user", expected_version=None, actor=None):
    """Edit an invoice's dates, reference, number or lines; fires ``invoice_updated``.

    Users may edit drafts only; a plugin (``source`` not "user") may update any invoice it
    owns the values of, including its number.
    :return: ``{field: (old, new)}``.
    """
    _check_version(expected_version, invoice, "invoice")
    if source == "user":
        reason = invoice_lock_reason(invoice)
        if reason:
            raise ValidationError({"_form": reason})
    values = clean_invoice_data(data)
    changes = {}
    if source != "user" and data.get("number") and data["number"] != invoice.number:
        clash = db.session.scalar(select(Invoice.id).where(Invoice.number == data["number"]))
        if clash:
            raise ValidationError({"number": f"Invoice number {data['number']} is already used."})
        changes["number"] = (invoice.number, data["number"])
        invoice.number = data["number"]
    for field in ("date", "due_date", "reference"):
        if field in values and getattr(invoice, field) != values[field]:
            changes[field] = (getattr(invoice, field), values[field])
            setattr(invoice, field, values[field])
    if "lines" in values:
        old_lines = line_dicts(invoice)
        if old_lines != values["lines"]:
            _set_lines(invoice, values["lines"])
            changes["lines"] = (old_lines, line_dicts(invoice))
    if changes:
        _flush_versioned("invoice")
        history.record_changes("invoice", invoice.id, changes, actor)
        current_plugins().fire("invoice_updated", invoice=invoice, changes=changes, source=source)
    return changes


def _set_status(invoice, status, source, actor):
    old = invoice.status
    invoice.status = status
    db.session.flush()
    history.record("invoice", invoice.id, "status", Invoice.STATUS_LABELS[old], Invoice.STATUS_LABELS[status], actor)
    current_plugins().fire(
        "invoice_updated", invoice=invoice, changes={"status": (old, status)}, source=source
    )


def approve_invoice(invoice, source="user", actor=None):
    """Approve a draft so it awaits payment; fires ``invoice_updated``."""
    if invoice.status != "draft":
        raise ValidationError({"_form": "Only a draft invoice can be approved."})
    if not invoice.lines:
        raise ValidationError({"_form": "Add at least one line before approving."})
    _set_status(invoice, "paid" if invoice.amount_due <= 0 else "awaiting_payment", source, actor)


def void_invoice(invoice, source="user", actor=None):
    """Void an invoice that has no payments; fires ``invoice_updated``."""
    if invoice.status == "void":
        raise ValidationError({"_form": "This invoice is already void."})
    if invoice.amount_paid > 0:
        raise ValidationError({"_form": "An invoice with payments cannot be voided."})
    _set_status(invoice, "void", source, actor)


def set_invoice_status(invoice, status, source, actor=None):
    """Set an invoice's status as another system reports it (plugins only)."""
    if status not in Invoice.STATUSES:
        raise ValueError(f"unknown invoice status {status!r}")
    if invoice.status != status:
        _set_status(invoice, status, source, actor)


def record_payment(invoice, data, source="user", actor=None):
    """Record a (possibly partial) payment; fires ``payment_recorded``.

    :param data: ``date``, ``amount`` and ``reference``.
    :return: the new ``Payment``.
    """
    errors = {}
    if invoice.status != "awaiting_payment":
        errors["_form"] = "Payments can only be recorded on an approved invoice awaiting payment."
    amount = _decimal(data.get("amount", ""), "amount", errors, minimum=CENT)
    paid_on = _date(data.get("date") or date.today(), "date", errors)
    reference = str(data.get("reference") or "").strip()
    _check_text(Payment, {"reference": reference}, errors)
    if amount is not None and "_form" not in errors and amount > invoice.amount_due:
        errors["amount"] = f"The payment is more than the {invoice.amount_due} due."
    if errors:
        raise ValidationError(errors)
    payment = Payment(invoice=invoice, date=paid_on, amount=amount, reference=reference)
    db.session.add(payment)
    invoice.amount_paid = invoice.amount_paid + amount
    history.record("invoice", invoice.id, "payment", "", history.payment_text(amount, paid_on, payment.reference), actor)
    if invoice.amount_due <= 0:
        history.record("invoice", invoice.id, "status", invoice.status_label, Invoice.STATUS_LABELS["paid"], actor)
        invoice.status = "paid"
    db.session.flush()
    current_plugins().fire("payment_recorded", payment=payment, source=source)
    return payment


# ---------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------


def password_problem(password, user_inputs=()):
    """Return why ``password`` is too weak (too short, or common or guessable), or None."""
    minimum = current_app.config["BM_PASSWORD_MIN_LENGTH"]
    if len(password or "") < minimum:
        return f"Use a password of at least {minimum} characters."
    # zxcvbn reads at most 72 characters; the rest only makes a long password longer.
    verdict = zxcvbn(password[:72], user_inputs=[value for value in user_inputs if value])
    if verdict["score"] < 3:
        why = verdict["feedback"]["warning"] or "It would be easy to guess."
        return f"{why.rstrip('.')}. Choose a longer password, e.g. a few unrelated words."
    return None


def create_user(email, password, role="staff", name="", check_strength=True):
    """Create a login; raise ValidationError for a bad or taken email or a weak password.

    :param check_strength: False only for the demo's and the tests' known passwords.
    """
    email = (email or "").strip().lower()
    errors = {}
    name = (name or "").strip()
    _check_text(User, {"email": email, "name": name}, errors)
    if not EMAIL_RE.match(email):
        errors.setdefault("email", "Enter a valid email address.")
    elif "email" not in errors and db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        errors["email"] = "A user with this email already exists."
    problem = password_problem(password, (email, name)) if check_strength else None
    if problem or not password:
        errors["password"] = problem or "Enter a password."
    if role not in User.ROLES:
        errors["role"] = "Choose admin or staff."
    if errors:
        raise ValidationError(errors)
    user = User(email=email, name=name, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user, role=None, active=None):
    """Change a user's role or active flag; blocking a user ends their sessions."""
    if role is not None:
        if role not in User.ROLES:
            raise ValidationError({"role": "Choose admin or staff."})
        user.role = role
    if active is not None:
        user.active = active
        if not active:
            end_sessions(user)


def change_password(user, password, confirmation=None):
    """Give ``user`` a new password and end all of their sessions; raise ValidationError if weak.

    :param confirmation: the password typed again, when the form asks for it.
    """
    problem = password_problem(password, (user.email, user.name))
    if not problem and confirmation is not None and confirmation != password:
        problem = "The two passwords are not the same."
    if problem:
        raise ValidationError({"password": problem})
    user.set_password(password)
    end_sessions(user)


def start_session(user):
    """Record a new signed-in session for ``user``; return its token for the browser's cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=token_digest(token)))
    user.last_login_at = utcnow()
    user.session_token = token
    return token


def end_session(token):
    """End one session: its cookie, wherever it was copied, no longer signs anyone in."""
    db.session.execute(delete(UserSession).where(UserSession.token_hash == token_digest(token or "")))


def end_sessions(user):
    """End every session of ``user`` (after a password change, or when they are blocked)."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def session_user(token):
    """Return the active user signed in by session ``token``, or None."""
    user = db.session.scalar(
        select(User).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == token_digest(token or ""), User.active.is_(True))
    )
    if user is not None:
        user.session_token = token
    return user


def create_password_reset(user):
    """Make a one-time link token for ``user`` (earlier ones stop working); return the token."""
    token = secrets.token_urlsafe(32)
    hours = current_app.config["BM_PASSWORD_RESET_HOURS"]
    db.session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id))
    db.session.add(PasswordReset(token_hash=token_digest(token), user_id=user.id,
                                 expires_at=utcnow() + timedelta(hours=hours)))
    return token


def password_reset_user(token):
    """Return the user a reset link ``token`` is for, or None if it is unknown, used or expired."""
    reset = db.session.get(PasswordReset, token_digest(token or ""))
    if reset is None or reset.expires_at < utcnow() or not reset.user.active:
        return None
    return reset.user


def reset_password(token, password, confirmation):
    """Set a new password through a reset link, once; ends all of the user's sessions.

    :raises ValidationError: the link is no longer valid, or the password is weak.
    """
    user = password_reset_user(token)
    if user is None:
        raise ValidationError({"_form": "This link has expired or was already used. Ask an admin for a new one."})
    change_password(user, password, confirmation)
    db.session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id))
    return user
