"""Demo data for a first run: an admin, a handful of clients and invoices."""
from datetime import date, timedelta

from sqlalchemy import func, select

from . import services
from .extensions import db
from .models import Client, User

DEMO_ADMIN = ("admin@example.com", "admin")

# Several of these have a counterpart in the Xero sandbox's "Demo Company (UK)" with realistic
# differences (a legal suffix, a typo, another email at the same domain), so the Xero match
# list shows real scores on a first run.
DEMO_CLIENTS = [
    {"reference": "C0001", "kind": "business", "name": "Harbour View Cafe Ltd",
     "email": "hello@harbourviewcafe.co.uk", "phone": "+44 20 7946 0011",
     "address_line1": "12 Quay Street", "city": "Bristol", "postcode": "BS1 4DJ", "country": "GB"},
    {"reference": "C0002", "kind": "business", "name": "Patel & Sons Limited",
     "email": "info@patelandsons.co.uk", "phone": "0161 496 0123", "city": "Manchester", "country": "GB"},
    {"reference": "C0003", "kind": "individual", "name": "Jane Whitfield", "first_name": "Jane",
     "last_name": "Whitfield", "email": "jane.whitfield@example.org", "phone": "07700 900123"},
    {"reference": "C0004", "kind": "business", "name": "Northwind Traders LLP",
     "email": "accounts@northwind.example.com", "tax_number": "GB123456789"},
    {"reference": "C0005", "kind": "business", "name": "Oakley Joinery", "email": "mark@oakleyjoinery.co.uk"},
    {"reference": "C0006", "kind": "business", "name": "Greenfield Dental Practice",
     "email": "reception@greenfielddental.co.uk", "phone": "0117 496 0456", "city": "Bath"},
    {"reference": "C0007", "kind": "individual", "name": "Thomas Brennan", "first_name": "Thomas",
     "last_name": "Brennan", "email": "tom.brennan@example.net"},
    {"reference": "C0008", "kind": "business", "name": "Bluebell Florists Ltd",
     "email": "orders@bluebellflorists.co.uk", "city": "York"},
]

DEMO_INVOICES = [
    ("C0006", "Year-end accounts 2025/26", "850.00", "approve"),
    ("C0007", "Self assessment tax return", "295.00", "pay"),
    ("C0008", "Monthly bookkeeping (October)", "180.00", None),
]


def seed_demo():
    """Create the demo data unless the database already has users; return lines to print."""
    if db.session.scalar(select(func.count()).select_from(User)):
        return []
    # admin/admin is a demo's known password, not a production one: the strength check is off.
    admin = services.create_user(*DEMO_ADMIN, role="admin", name="Demo Admin", check_strength=False)
    clients = {data["reference"]: services.create_client(data) for data in DEMO_CLIENTS}
    for reference, description, amount, step in DEMO_INVOICES:
        invoice = services.create_invoice(
            clients[reference],
            {"date": date.today() - timedelta(days=10),
             "lines": [{"description": description, "quantity": "1", "unit_price": amount, "tax_rate": "20"}]},
        )
        if step in ("approve", "pay"):
            services.approve_invoice(invoice)
        if step == "pay":
            services.record_payment(invoice, {"amount": str(invoice.total), "reference": "Bank transfer"})
    db.session.commit()
    count = db.session.scalar(select(func.count()).select_from(Client))
    return [
        f"Demo admin: {admin.email} / {DEMO_ADMIN[1]}",
        f"Demo data: {count} clients and {len(DEMO_INVOICES)} invoices",
    ]
