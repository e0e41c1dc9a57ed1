"""A small web UI like Xero's: log in, switch organisation, contacts, invoices, connected apps."""
from urllib.parse import unquote

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from .accounting import contacts, documents, payments
from .accounting.http import Invalid
from .context import current
from .formats import public
from .session import current_tenant, current_user, log_in, login_required, switch_tenant

bp = Blueprint("ui", __name__)
PAGE_SIZE = 50


def _store():
    return current().store


def _render(template, **context):
    store, user = _store(), current_user()
    organisations = [store.get("organisation", t) for t in user["tenants"]] if user else []
    tenant = current_tenant()
    return render_template(template, user=user, organisations=organisations,
                           organisation=store.get("organisation", tenant) if tenant else None,
                           **context)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Xero's login page."""
    error = None
    next_url = request.values.get("next") or "/Dashboard"
    if request.method == "POST":
        email = (request.form.get("email") or "").strip().lower()
        account = _store().get("user", email)
        if account and account["password"] == request.form.get("password"):
            log_in(email)
            return redirect(next_url if next_url.startswith("/") else "/Dashboard")
        error = "Your email or password is incorrect"
    return _render("sandbox/login.html", error=error, next_url=next_url), (401 if error else 200)


@bp.get("/logout")
def logout():
    """Log out of the sandbox."""
    session.clear()
    return redirect("/login")


@bp.get("/")
@bp.get("/Dashboard")
@login_required
def dashboard():
    """The organisation's home page."""
    store, tenant = _store(), current_tenant()
    counts = {"contacts": store.count(contacts.KIND, tenant,
                                      "json_extract(data, '$.ContactStatus') = 'ACTIVE'"),
              "invoices": store.count(documents.INVOICE.kind, tenant)}
    return _render("sandbox/dashboard.html", counts=counts)


@bp.post("/switch-organisation")
@login_required
def switch_organisation():
    """Look at another organisation."""
    switch_tenant(request.form.get("tenant_id"))
    return redirect(request.form.get("next") or "/Dashboard")


@bp.get("/organisationlogin/default.aspx")
@login_required
def deep_link():
    """Xero's deep link: switch to the organisation with this ShortCode, then go to redirecturl."""
    short_code = unquote(request.args.get("shortcode", ""))
    for tenant in current_user()["tenants"]:
        if _store().get("organisation", tenant)["ShortCode"] == short_code:
            switch_tenant(tenant)
            break
    else:
        abort(404)
    target = unquote(request.args.get("redirecturl") or "/Dashboard")
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/Dashboard")


@bp.get("/Contacts")
@bp.get("/Contacts/")
@login_required
def contact_list():
    """All contacts, searchable, 50 a page."""
    store, tenant = _store(), current_tenant()
    term, page = request.args.get("q", "").strip(), max(request.args.get("page", 1, type=int), 1)
    show = request.args.get("show", "active")
    conditions, params = [], []
    if show != "all":
        conditions.append("json_extract(data, '$.ContactStatus') = 'ACTIVE'")
    if show == "customers":
        conditions.append("json_extract(data, '$.IsCustomer') = 1")
    if term:
        conditions.append("(json_extract(data, '$.Name') LIKE ? OR "
                          "json_extract(data, '$.EmailAddress') LIKE ?)")
        params += [f"%{term}%"] * 2
    where = " AND ".join(conditions) or "1"
    found = store.select(contacts.KIND, tenant, where, params,
                         "json_extract(data, '$.Name') COLLATE NOCASE, seq", PAGE_SIZE,
                         (page - 1) * PAGE_SIZE)
    total = store.count(contacts.KIND, tenant, where, params)
    return _render("sandbox/contacts.html", contacts=found, term=term, page=page, show=show,
                   pages=max(1, -(-total // PAGE_SIZE)), total=total)


def _contact_or_404(contact_id):
    contact = contacts.find(_store(), current_tenant(), contact_id)
    if contact is None:
        abort(404)
    return contact


@bp.get("/Contacts/View/<contact_id>")
@login_required
def contact_view(contact_id):
    """One contact: details, edit form, archive and merge."""
    contact = _contact_or_404(contact_id)
    invoices = _store().select(documents.INVOICE.kind, current_tenant(),
                               "json_extract(data, '$.Contact.ContactID') = ?",
                               (contact["ContactID"],), "seq DESC", 50)
    return _render("sandbox/contact.html", contact=public(contact), invoices=invoices)


@bp.get("/Contacts/View.aspx")
@login_required
def contact_view_classic():
    """The old UI's contact URL."""
    return redirect(url_for("ui.contact_view", contact_id=request.args.get("contactID", "")))


def _contact_page(contact_id):
    return url_for("ui.contact_view", contact_id=contact_id)


def _invoice_page(invoice):
    return url_for("ui.invoice_view", InvoiceID=invoice["InvoiceID"])


def _apply(change, success, back):
    """Make a change in one transaction, flash how it went, and go back to the page it came from."""
    try:
        with _store().transaction():
            change()
        flash(success, "ok")
    except Invalid as error:
        flash(" ".join(error.messages), "error")
    return redirect(back)


@bp.post("/Contacts/Edit/<contact_id>")
@login_required
def contact_edit(contact_id):
    """Save the edit form."""
    contact = _contact_or_404(contact_id)
    form = request.form
    item = {field: form.get(field, "").strip() for field in (
        "Name", "FirstName", "LastName", "EmailAddress", "TaxNumber", "AccountNumber")}
    item["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": form.get("Phone", "").strip()}]
    item["Addresses"] = [{"AddressType": "STREET", **{
        field: form.get(field, "").strip() for field in ("AddressLine1", "City", "PostalCode",
                                                         "Country")}}]
    return _apply(lambda: contacts.save(current(), current_tenant(), item, contact["ContactID"]),
                  "Contact saved", _contact_page(contact["ContactID"]))


@bp.post("/Contacts/Archive/<contact_id>")
@login_required
def contact_archive(contact_id):
    """Archive (or restore) a contact."""
    contact = _contact_or_404(contact_id)
    status = "ACTIVE" if contact["ContactStatus"] == "ARCHIVED" else "ARCHIVED"
    return _apply(lambda: contacts.set_status(current(), current_tenant(), contact["ContactID"],
                                              status),
                  "Contact restored" if status == "ACTIVE" else "Contact archived",
                  _contact_page(contact["ContactID"]))


@bp.post("/Contacts/Merge/<contact_id>")
@login_required
def contact_merge(contact_id):
    """Merge this contact into another one (this one is archived, its transactions move)."""
    contact = _contact_or_404(contact_id)
    target_name = request.form.get("merge_into", "").strip()
    target = _store().select(contacts.KIND, current_tenant(),
                             "json_extract(data, '$.Name') = ? COLLATE NOCASE AND "
                             "json_extract(data, '$.ContactStatus') = 'ACTIVE'", (target_name,),
                             limit=1)
    if not target:
        flash(f"No active contact called '{target_name}'", "error")
        return redirect(url_for("ui.contact_view", contact_id=contact["ContactID"]))
    keep_id = target[0]["ContactID"]
    return _apply(lambda: contacts.merge(current(), current_tenant(), keep_id, contact["ContactID"]),
                  f"{contact['Name']} merged into {target[0]['Name']}", _contact_page(keep_id))


@bp.get("/AccountsReceivable/Search.aspx")
@bp.get("/AccountsReceivable/")
@login_required
def invoice_list():
    """Sales invoices, newest first."""
    status = request.args.get("status", "")
    where, params = "json_extract(data, '$.Type') = 'ACCREC'", []
    if status:
        where += " AND json_extract(data, '$.Status') = ?"
        params.append(status.upper())
    found = _store().select(documents.INVOICE.kind, current_tenant(), where, params, "seq DESC", 200)
    return _render("sandbox/invoices.html", invoices=found, status=status)


def _invoice_or_404():
    invoice = documents.find(_store(), current_tenant(), documents.INVOICE,
                             request.args.get("InvoiceID", ""))
    if invoice is None:
        abort(404)
    return invoice


@bp.get("/AccountsReceivable/View.aspx")
@bp.get("/AccountsPayable/Edit.aspx")
@login_required
def invoice_view():
    """One invoice with Approve and Add payment."""
    invoice = _invoice_or_404()
    banks = [a for a in _store().select("account", current_tenant())
             if a["Type"] == "BANK" or a.get("EnablePaymentsToAccount")]
    return _render("sandbox/invoice.html", invoice=invoice, banks=banks,
                   today=current().clock.now().date().isoformat())


@bp.post("/AccountsReceivable/Approve")
@login_required
def invoice_approve():
    """Approve a draft or submitted invoice."""
    invoice = _invoice_or_404()
    return _apply(lambda: documents.save(
        current(), current_tenant(), documents.INVOICE, {"Status": "AUTHORISED"}, None,
        invoice["InvoiceID"]), "Invoice approved", _invoice_page(invoice))


@bp.post("/AccountsReceivable/Pay")
@login_required
def invoice_pay():
    """Add a payment to an approved invoice."""
    invoice, form = _invoice_or_404(), request.form
    item = {"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Account": {"AccountID": form.get("account")},
            "Amount": form.get("amount", "").strip() or None, "Date": form.get("date") or None,
            "Reference": form.get("reference", "")}
    return _apply(lambda: payments.create(current(), current_tenant(), item), "Payment recorded",
                  _invoice_page(invoice))


@bp.get("/Settings/ConnectedApps")
@login_required
def connected_apps():
    """Apps connected to this organisation."""
    store, tenant = _store(), current_tenant()
    found = store.select("connection", tenant)
    names = {c["_client_id"]: (store.get("app", c["_client_id"]) or {}).get("name") for c in found}
    return _render("sandbox/connected_apps.html", connections=found, names=names)


@bp.post("/Settings/ConnectedApps/<connection_id>/Disconnect")
@login_required
def disconnect_app(connection_id):
    """Cut an app off from this organisation."""
    store = _store()
    connection = store.get("connection", connection_id)
    if connection is None or connection["tenantId"] != current_tenant():
        abort(404)
    store.delete("connection", connection_id)
    flash(f"{store.get('app', connection['_client_id'])['name']} has been disconnected", "ok")
    return redirect(url_for("ui.connected_apps"))


