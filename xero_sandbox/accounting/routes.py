"""The Accounting API's HTTP views: thin wrappers over the rules modules."""
from functools import wraps

from flask import Blueprint, g, request

from ..context import current
from ..errors import api_exception, forbidden, not_found, unauthorized
from ..formats import public
from . import contacts, documents, payments
from .http import echo, envelope, flag, id_list, read_items, save_all
from .listing import Listing, field_resolver
from .shapes import CONTACT, CREDIT_NOTE, INVOICE, PAYMENT

bp = Blueprint("accounting", __name__, url_prefix="/api.xro/2.0")
SCOPES = {
    "contacts": ({"accounting.contacts", "accounting.contacts.read"}, {"accounting.contacts"}),
    "settings": ({"accounting.settings", "accounting.settings.read"}, {"accounting.settings"}),
    "invoices": ({"accounting.transactions", "accounting.transactions.read", "accounting.invoices",
                  "accounting.invoices.read"}, {"accounting.transactions", "accounting.invoices"}),
    "payments": ({"accounting.transactions", "accounting.transactions.read", "accounting.payments",
                  "accounting.payments.read"}, {"accounting.transactions", "accounting.payments"}),
}


def scope(area):
    """Allow the view only to tokens holding a read (GET) or write scope for `area`."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            readers, writers = SCOPES[area]
            allowed = readers if request.method == "GET" else writers
            if not allowed & set(g.caller["scopes"]):
                raise unauthorized() if current().variants["missing_scope"] == "401" else forbidden()
            return view(*args, **kwargs)
        return wrapper
    return decorate


def _tenant():
    return g.caller["tenant"]


def _saving(fn):
    """Run a rules function for one submitted element inside one transaction."""
    def save_one(item):
        with current().store.transaction():
            return fn(item)
    return save_one


@bp.get("/Organisation")
@scope("settings")
def organisation():
    """The connected organisation."""
    return envelope("Organisations", [public(current().store.get("organisation", _tenant()))])


@bp.get("/Accounts")
@bp.get("/Accounts/<account_id>")
@scope("settings")
def accounts(account_id=None):
    """The chart of accounts, or one account."""
    listing = Listing(field_resolver({})).from_request()
    if account_id:
        listing.add("id = ?", account_id.lower())
    found, _ = listing.run(current().store, "account", _tenant(), "json_extract(data, '$.Code')")
    if account_id and not found:
        raise not_found()
    return envelope("Accounts", [public(a) for a in found])


@bp.get("/TaxRates")
@scope("settings")
def tax_rates():
    """The organisation's tax rates."""
    listing = Listing(field_resolver({})).from_request()
    found, _ = listing.run(current().store, "taxrate", _tenant(), "seq")
    return envelope("TaxRates", [public(r) for r in found])


@bp.get("/TaxRates/<tax_type>")
@scope("settings")
def tax_rate(tax_type):
    """One tax rate by its TaxType."""
    found = current().store.select("taxrate", _tenant(), "json_extract(data, '$.TaxType') = ?",
                                   (tax_type.upper(),), limit=1)
    if not found:
        raise not_found()
    return envelope("TaxRates", [public(found[0])])


@bp.get("/Contacts")
@scope("contacts")
def list_contacts():
    """Contacts with Xero's filters and paging."""
    listing = Listing(contacts.FIELDS).from_request().any_of("id", id_list("IDs"))
    if not flag("includeArchived"):
        listing.add("json_extract(data, '$.ContactStatus') != 'ARCHIVED'")
    term = request.args.get("searchTerm", "").strip()
    if term:
        like = f"%{term}%"
        listing.add(" OR ".join(f"json_extract(data, '$.{field}') LIKE ?" for field in (
            "Name", "FirstName", "LastName", "ContactNumber", "EmailAddress")), *[like] * 5)
    store = current().store
    found, pagination = listing.run(store, contacts.KIND, _tenant(),
                                    "json_extract(data, '$.Name') COLLATE NOCASE, seq")
    mode = "summary" if flag("summaryOnly") else ("full" if pagination else "unpaged")
    return envelope("Contacts", contacts.present(found, mode, store, _tenant(), _today()),
                    pagination)


def _today():
    return current().clock.now().date().isoformat()


@bp.get("/Contacts/<key>")
@scope("contacts")
def get_contact(key):
    """One contact by ContactID or ContactNumber."""
    store = current().store
    contact = contacts.find(store, _tenant(), key)
    if contact is None:
        raise not_found()
    return envelope("Contacts", contacts.present([contact], "full", store, _tenant(), _today()))


@bp.route("/Contacts", methods=["PUT", "POST"])
@bp.post("/Contacts/<contact_id>")
@scope("contacts")
def save_contacts(contact_id=None):
    """Create (PUT) or create-or-update (POST) contacts."""
    items = read_items("Contacts", CONTACT)
    if contact_id and contacts.find(current().store, _tenant(), contact_id) is None:
        raise not_found()
    save = _saving(lambda item: contacts.present(
        [contacts.save(current(), _tenant(), item, contact_id)], "full", current().store,
        _tenant(), _today())[0])
    return save_all("Contacts", items, save)


def _documents_listing(spec):
    listing = Listing(spec.fields).from_request().any_of("id", id_list("IDs"))
    if spec is documents.INVOICE:
        listing.any_of("json_extract(data, '$.InvoiceNumber')",
                       [n.strip() for n in request.args.get("InvoiceNumbers", "").split(",") if n.strip()])
        listing.any_of("json_extract(data, '$.Contact.ContactID')", id_list("ContactIDs"))
        listing.any_of("json_extract(data, '$.Status')",
                       [s.upper() for s in id_list("Statuses")])
        if flag("createdByMyApp"):
            listing.add("json_extract(data, '$._app') = ?", g.caller["client_id"])
        term = request.args.get("searchTerm", "").strip()
        if term:
            listing.add("(json_extract(data, '$.InvoiceNumber') LIKE ? OR "
                        "json_extract(data, '$.Reference') LIKE ?)", f"%{term}%", f"%{term}%")
    return listing


def _list_documents(spec):
    found, pagination = _documents_listing(spec).run(current().store, spec.kind, _tenant(), "seq")
    with_lines = pagination is not None and not flag("summaryOnly")
    return envelope(spec.key, documents.present(found, with_lines), pagination)


def _get_document(spec, key):
    document = documents.find(current().store, _tenant(), spec, key)
    if document is None:
        raise not_found()
    return envelope(spec.key, documents.present([document]))


def _save_documents(spec, shape, document_id=None):
    items = read_items(spec.key, shape)
    if document_id and documents.find(current().store, _tenant(), spec, document_id) is None:
        raise not_found()
    unit_places = 4 if request.args.get("unitdp") == "4" else 2
    save = _saving(lambda item: documents.present([documents.save(
        current(), _tenant(), spec, item, g.caller["client_id"], document_id, unit_places)])[0])
    return save_all(spec.key, items, save, error_flag="HasErrors")


@bp.get("/Invoices")
@scope("invoices")
def list_invoices():
    """Invoices with Xero's filters and paging (line items only when paged)."""
    return _list_documents(documents.INVOICE)


@bp.get("/Invoices/<key>")
@scope("invoices")
def get_invoice(key):
    """One invoice by InvoiceID or InvoiceNumber."""
    return _get_document(documents.INVOICE, key)


@bp.route("/Invoices", methods=["PUT", "POST"])
@bp.post("/Invoices/<invoice_id>")
@scope("invoices")
def save_invoices(invoice_id=None):
    """Create or update invoices."""
    return _save_documents(documents.INVOICE, INVOICE, invoice_id)


@bp.get("/CreditNotes")
@scope("invoices")
def list_credit_notes():
    """Credit notes with paging."""
    return _list_documents(documents.CREDIT_NOTE)


@bp.get("/CreditNotes/<key>")
@scope("invoices")
def get_credit_note(key):
    """One credit note."""
    return _get_document(documents.CREDIT_NOTE, key)


@bp.route("/CreditNotes", methods=["PUT", "POST"])
@bp.post("/CreditNotes/<credit_note_id>")
@scope("invoices")
def save_credit_notes(credit_note_id=None):
    """Create or update credit notes."""
    return _save_documents(documents.CREDIT_NOTE, CREDIT_NOTE, credit_note_id)


@bp.get("/Payments")
@bp.get("/Payments/<payment_id>")
@scope("payments")
def list_payments(payment_id=None):
    """Payments, or one payment."""
    listing = Listing(payments.FIELDS).from_request()
    if payment_id:
        listing.add("id = ?", payment_id.lower())
    store = current().store
    found, pagination = listing.run(store, payments.KIND, _tenant(), "seq")
    if payment_id and not found:
        raise not_found()
    return envelope("Payments", payments.present(store, _tenant(), found), pagination)


@bp.route("/Payments", methods=["PUT", "POST"])
@scope("payments")
def create_payments():
    """Record payments against authorised invoices."""
    items = read_items("Payments", PAYMENT)
    store = current().store
    save = _saving(lambda item: payments.present(store, _tenant(), [
        payments.create(current(), _tenant(), item)])[0])
    return save_all("Payments", items, save)


@bp.post("/Payments/<payment_id>")
@scope("payments")
def delete_payment(payment_id):
    """Delete a payment by posting `{"Status": "DELETED"}`."""
    items = read_items("Payments", PAYMENT)
    if payments.find(current().store, _tenant(), payment_id) is None:
        raise not_found()
    if any((item.get("Status") or "").upper() != "DELETED" for item in items):
        raise api_exception(400, 10, "ValidationException", "A validation exception occurred", [
            {**echo(items[0]), "ValidationErrors": [{"Message": "Only Status DELETED can be set."}]}])
    save = _saving(lambda item: payments.present(current().store, _tenant(), [
        payments.delete(current(), _tenant(), payment_id)])[0])
    return save_all("Payments", items, save)


