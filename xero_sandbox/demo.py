"""The default state: a Xero user with two demo organisations and the practice app registered."""
import uuid

from .accounting import contacts, documents, payments
from .formats import identity_string, net_date

USER_EMAIL, USER_PASSWORD = "xero@example.com", "xero"
CLIENT_ID, CLIENT_SECRET = "sandbox-app", "sandbox-secret"
PRACTICE_CALLBACK = "http://127.0.0.1:5000/tools/integrations/xero/callback"
NAMESPACE = uuid.UUID("6f1c2b9e-4d7a-4f3e-9b1a-5c8d2e7f0a11")

# Tax rates: (TaxType, Name, rate %, ReportTaxType, may be used on sales). The UK list is the
# one Xero's UK demo company starts with, so the app meets several 20% and 0% rates, as it will.
UK_TAX_RATES = [
    ("OUTPUT2", "20% (VAT on Income)", 20, "OUTPUT", True),
    ("INPUT2", "20% (VAT on Expenses)", 20, "INPUT", False),
    ("RROUTPUT", "5% (VAT on Income)", 5, "OUTPUT", True),
    ("RRINPUT", "5% (VAT on Expenses)", 5, "INPUT", False),
    ("ZERORATEDOUTPUT", "Zero Rated Income", 0, "ZERORATEDOUTPUT", True),
    ("ZERORATEDINPUT", "Zero Rated Expenses", 0, "ZERORATEDINPUT", False),
    ("EXEMPTOUTPUT", "Exempt Income", 0, "EXEMPTOUTPUT", True),
    ("EXEMPTINPUT", "Exempt Expenses", 0, "EXEMPTINPUT", False),
    ("NONE", "No VAT", 0, "NONE", True),
    ("CAPEXOUTPUT2", "20% (VAT on Capital Sales)", 20, "CAPITALSALESOUTPUT", True),
    ("CAPEXINPUT2", "20% (VAT on Capital Purchases)", 20, "CAPITALEXPENSESINPUT", False),
    ("ECZROUTPUT", "Zero Rated EC Goods Income", 0, "ECOUTPUT", True),
    ("ECZROUTPUTSERVICES", "Zero Rated EC Services", 0, "ECOUTPUTSERVICES", True),
    ("ECACQUISITIONS", "EC Acquisitions (20%)", 20, "ECACQUISITIONS", False),
    ("REVERSECHARGES", "Reverse Charge Expenses (20%)", 20, "REVERSECHARGES", False),
]
NZ_TAX_RATES = [
    ("OUTPUT2", "15% GST on Income", 15, "OUTPUT", True),
    ("INPUT2", "15% GST on Expenses", 15, "INPUT", False),
    ("ZERORATED", "Zero Rated", 0, "NONE", True),
    ("NONE", "No GST", 0, "NONE", True),
]
ORGANISATIONS = {
    "UK": {"Name": "Demo Company (UK)", "ShortCode": "!UKdem", "BaseCurrency": "GBP",
           "CountryCode": "GB", "Version": "UK", "Timezone": "GMTSTANDARDTIME",
           "TaxNumber": "GB999999973", "_sales_tax_type": "OUTPUT2", "tax_rates": UK_TAX_RATES},
    "NZ": {"Name": "Demo Company (NZ)", "ShortCode": "!NZdem", "BaseCurrency": "NZD",
           "CountryCode": "NZ", "Version": "NZ", "Timezone": "NEWZEALANDSTANDARDTIME",
           "TaxNumber": "101-234-567", "_sales_tax_type": "OUTPUT2", "tax_rates": NZ_TAX_RATES},
}
SALES, EXPENSE = "OUTPUT2", "INPUT2"  # stand for the organisation's own sales and expense rates
# The UK demo company's chart of accounts: code, name, type, tax type, class, system account.
ACCOUNTS = [
    ("090", "Business Bank Account", "BANK", "NONE", "ASSET", ""),
    ("091", "Business Savings Account", "BANK", "NONE", "ASSET", ""),
    ("200", "Sales", "REVENUE", SALES, "REVENUE", ""),
    ("260", "Other Revenue", "REVENUE", SALES, "REVENUE", ""),
    ("270", "Interest Income", "REVENUE", "NONE", "REVENUE", ""),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", EXPENSE, "EXPENSE", ""),
    ("320", "Direct Wages", "DIRECTCOSTS", "NONE", "EXPENSE", ""),
    ("325", "Direct Expenses", "DIRECTCOSTS", EXPENSE, "EXPENSE", ""),
    ("400", "Advertising & Marketing", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("401", "Audit & Accountancy fees", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("404", "Bank Fees", "OVERHEADS", "EXEMPTINPUT", "EXPENSE", ""),
    ("408", "Cleaning", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("412", "Consulting", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("416", "Depreciation Expense", "OVERHEADS", "NONE", "EXPENSE", ""),
    ("420", "Entertainment-100% business", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("425", "Postage, Freight & Courier", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("429", "General Expenses", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("433", "Insurance", "OVERHEADS", "EXEMPTINPUT", "EXPENSE", ""),
    ("437", "Interest Paid", "OVERHEADS", "EXEMPTINPUT", "EXPENSE", ""),
    ("441", "Legal Expenses", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("445", "Light, Power, Heating", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("449", "Motor Vehicle Expenses", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("461", "Printing & Stationery", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("463", "IT Software and Consumables", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("465", "Rates", "OVERHEADS", "NONE", "EXPENSE", ""),
    ("469", "Rent", "OVERHEADS", "EXEMPTINPUT", "EXPENSE", ""),
    ("473", "Repairs & Maintenance", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("477", "Salaries", "OVERHEADS", "NONE", "EXPENSE", ""),
    ("478", "Directors' Remuneration", "OVERHEADS", "NONE", "EXPENSE", ""),
    ("479", "Employers National Insurance", "OVERHEADS", "NONE", "EXPENSE", ""),
    ("485", "Subscriptions", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("489", "Telephone & Internet", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("493", "Travel - National", "OVERHEADS", EXPENSE, "EXPENSE", ""),
    ("494", "Travel - International", "OVERHEADS", "NONE", "EXPENSE", ""),
    ("497", "Bank Revaluations", "OVERHEADS", "NONE", "EXPENSE", "BANKCURRENCYGAIN"),
    ("498", "Unrealised Currency Gains", "OVERHEADS", "NONE", "EXPENSE", "UNREALISEDCURRENCYGAIN"),
    ("499", "Realised Currency Gains", "OVERHEADS", "NONE", "EXPENSE", "REALISEDCURRENCYGAIN"),
    ("500", "Corporation Tax", "OVERHEADS", "NONE", "EXPENSE", ""),
    ("610", "Accounts Receivable", "CURRENT", "NONE", "ASSET", "DEBTORS"),
    ("620", "Prepayments", "CURRENT", "NONE", "ASSET", ""),
    ("630", "Inventory", "INVENTORY", "NONE", "ASSET", ""),
    ("710", "Office Equipment", "FIXED", EXPENSE, "ASSET", ""),
    ("711", "Less Accumulated Depreciation on Office Equipment", "FIXED", "NONE", "ASSET", ""),
    ("720", "Computer Equipment", "FIXED", EXPENSE, "ASSET", ""),
    ("721", "Less Accumulated Depreciation on Computer Equipment", "FIXED", "NONE", "ASSET", ""),
    ("800", "Accounts Payable", "CURRLIAB", "NONE", "LIABILITY", "CREDITORS"),
    ("801", "Unpaid Expense Claims", "CURRLIAB", "NONE", "LIABILITY", "UNPAIDEXPCLM"),
    ("820", "VAT", "CURRLIAB", "NONE", "LIABILITY", "GST"),
    ("825", "PAYE Payable", "CURRLIAB", "NONE", "LIABILITY", ""),
    ("830", "Provision for Corporation Tax", "CURRLIAB", "NONE", "LIABILITY", ""),
    ("835", "Directors' Loan Account", "CURRLIAB", "NONE", "LIABILITY", ""),
    ("840", "Historical Adjustment", "CURRLIAB", "NONE", "LIABILITY", "HISTORICAL"),
    ("850", "Suspense", "CURRLIAB", "NONE", "LIABILITY", ""),
    ("860", "Rounding", "CURRLIAB", "NONE", "LIABILITY", "ROUNDING"),
    ("877", "Tracking Transfers", "CURRLIAB", "NONE", "LIABILITY", "TRACKINGTRANSFERS"),
    ("900", "Loan", "TERMLIAB", "NONE", "LIABILITY", ""),
    ("950", "Capital - Ordinary Shares", "EQUITY", "NONE", "EQUITY", ""),
    ("960", "Retained Earnings", "EQUITY", "NONE", "EQUITY", "RETAINEDEARNINGS"),
]
UK_CONTACTS = [
    {"Name": "Harbour View Café Limited", "EmailAddress": "accounts@harbourviewcafe.co.uk",
     "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "020 7946 0011"}],
     "Addresses": [{"AddressType": "STREET", "AddressLine1": "12 Quay Street", "City": "Bristol",
                    "PostalCode": "BS1 4DJ", "Country": "United Kingdom"}], "_role": "customer"},
    {"Name": "Patel and Sons Ltd", "EmailAddress": "info@patelandsons.co.uk",
     "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "0161 4960123"}],
     "Addresses": [{"AddressType": "STREET", "City": "Manchester", "Country": "United Kingdom"}],
     "_role": "customer"},
    {"Name": "Jane Whitfeld", "FirstName": "Jane", "LastName": "Whitfeld",
     "EmailAddress": "jane.whitfield@example.org", "_role": "customer"},
    {"Name": "Northwind Traders", "TaxNumber": "GB123456789",
     "EmailAddress": "accounts@northwind.example.com", "_role": "customer"},
    {"Name": "Riverside Yoga Studio", "EmailAddress": "hello@riversideyoga.example.co.uk",
     "_role": "customer"},
    {"Name": "Kestrel Engineering Ltd", "EmailAddress": "finance@kestrel-eng.example.co.uk",
     "_role": "customer"},
    {"Name": "Oakley Joinery", "EmailAddress": "mark@oakleyjoinery.co.uk"},
    {"Name": "Office Supplies Direct", "EmailAddress": "orders@officesupplies.example.co.uk",
     "_role": "supplier"},
    {"Name": "City Council Parking"},
]
NZ_CONTACTS = [
    {"Name": "Ridgeway University", "EmailAddress": "accounts@ridgeway.example.ac.nz", "_role": "customer"},
    {"Name": "Bayside Club", "EmailAddress": "secretary@bayside.example.co.nz", "_role": "customer"},
    {"Name": "Marine Systems", "EmailAddress": "ap@marinesystems.example.co.nz", "_role": "customer"},
    {"Name": "Hamilton Smith Ltd", "EmailAddress": "info@hamiltonsmith.example.co.nz"},
]


def stable_id(*parts):
    """A UUID that stays the same across resets, so ids in notes and bookmarks keep working."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def add_organisation(sandbox, name, country="UK", short_code=None):
    """Create an organisation with its bank/sales accounts and tax rates; returns its tenant id."""
    store, now = sandbox.store, sandbox.clock.now_ms()
    template = ORGANISATIONS[country]
    tenant = stable_id("organisation", name)
    organisation = {
        "OrganisationID": tenant, "APIKey": stable_id("apikey", name).replace("-", "")[:30].upper(),
        "Name": name, "LegalName": name, "PaysTax": True, "Version": template["Version"],
        "OrganisationType": "COMPANY", "BaseCurrency": template["BaseCurrency"],
        "CountryCode": template["CountryCode"], "IsDemoCompany": True, "OrganisationStatus": "ACTIVE",
        "TaxNumber": template["TaxNumber"], "FinancialYearEndDay": 31, "FinancialYearEndMonth": 3,
        "SalesTaxBasis": "ACCRUALS", "SalesTaxPeriod": "QUARTERLY1",
        "DefaultSalesTax": "Tax Exclusive", "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": net_date(now), "Timezone": template["Timezone"],
        "OrganisationEntityType": "COMPANY", "ShortCode": short_code or template["ShortCode"],
        "Class": "DEMO", "Edition": "BUSINESS", "Addresses": [], "Phones": [], "ExternalLinks": [],
        "PaymentTerms": {}, "_sales_tax_type": template["_sales_tax_type"],
        "_created": identity_string(now),
    }
    store.put("organisation", tenant, organisation, tenant)
    known = {rate[0] for rate in template["tax_rates"]}
    for code, account_name, kind, tax_type, account_class, system in ACCOUNTS:
        add_account(sandbox, tenant, code, account_name, kind, tax_type if tax_type in known else "NONE",
                    account_class, template["BaseCurrency"], system)
    for tax_type, rate_name, rate, report_type, on_sales in template["tax_rates"]:
        store.put("taxrate", stable_id(tenant, "taxrate", tax_type), {
            "Name": rate_name, "TaxType": tax_type, "Status": "ACTIVE", "ReportTaxType": report_type,
            "CanApplyToAssets": True, "CanApplyToEquity": True, "CanApplyToExpenses": not on_sales
            or report_type == "NONE", "CanApplyToLiabilities": True, "CanApplyToRevenue": on_sales,
            "DisplayTaxRate": float(rate), "EffectiveRate": float(rate),
            "TaxComponents": [{"Name": rate_name.split(" (")[0], "Rate": float(rate),
                               "IsCompound": False, "IsNonRecoverable": False}],
        }, tenant)
    return tenant


def add_account(sandbox, tenant, code, name, kind, tax_type="NONE", account_class="ASSET",
                currency="GBP", system_account=""):
    """Add one account to an organisation's chart of accounts."""
    now = sandbox.clock.now_ms()
    account = {"AccountID": stable_id(tenant, "account", code), "Code": code, "Name": name,
               "Type": kind, "Status": "ACTIVE", "TaxType": tax_type, "Class": account_class,
               "SystemAccount": system_account,
               "EnablePaymentsToAccount": False, "ShowInExpenseClaims": False,
               "HasAttachments": False, "UpdatedDateUTC": net_date(now), "AddToWatchlist": False}
    if kind == "BANK":
        account.update(BankAccountNumber=f"20{code}0{int(tenant[:8], 16) % 10**8:08d}",
                       BankAccountType="BANK", CurrencyCode=currency)
    sandbox.store.put("account", account["AccountID"], account, tenant, now)
    return account


def _add_contacts(sandbox, tenant, people, client_id):
    for number, person in enumerate(people, start=1):
        contact = contacts.save(sandbox, tenant, {k: v for k, v in person.items() if k != "_role"})
        role = person.get("_role")
        if role is None:
            continue
        invoice = documents.save(sandbox, tenant, documents.INVOICE, {
            "Type": "ACCREC" if role == "customer" else "ACCPAY",
            "Contact": {"ContactID": contact["ContactID"]}, "Status": "AUTHORISED",
            "Reference": f"Demo {number}", "LineAmountTypes": "Exclusive",
            "InvoiceNumber": None if role == "customer" else f"BILL-{number:03d}",
            "LineItems": [{"Description": "Bookkeeping services" if role == "customer"
                           else "Printer paper", "Quantity": 1, "UnitAmount": 100.0 * number,
                           "AccountCode": "200" if role == "customer" else "429"}]}, client_id)
        if number == 2 and role == "customer":
            payments.create(sandbox, tenant, {"Invoice": {"InvoiceID": invoice["InvoiceID"]},
                                              "Account": {"Code": "090"}, "Amount": 50.0})


def install(sandbox, redirect_uris=()):
    """Write the demo user, organisations, contacts, invoices and the registered app."""
    store = sandbox.store
    with store.transaction():
        uk = add_organisation(sandbox, "Demo Company (UK)", "UK")
        nz = add_organisation(sandbox, "Demo Company (NZ)", "NZ")
        store.put("user", USER_EMAIL, {
            "email": USER_EMAIL, "password": USER_PASSWORD, "first_name": "Demo",
            "last_name": "User", "xero_userid": stable_id("user", USER_EMAIL), "tenants": [uk, nz]})
        store.put("app", CLIENT_ID, {
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "name": "BrightManager",
            "redirect_uris": list(dict.fromkeys([PRACTICE_CALLBACK, *redirect_uris])),
            "custom_tenant": uk})
        _add_contacts(sandbox, uk, UK_CONTACTS, CLIENT_ID)
        _add_contacts(sandbox, nz, NZ_CONTACTS, CLIENT_ID)
