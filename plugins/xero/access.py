"""What Xero's 401 or 403 means, decided in this one place (XERO-NOTES §8, "401 and 403").

Xero answers 401 and 403 with the same problem-details body for different causes: an expired
token, a revoked authorisation, an organisation no longer connected, a scope the connection was
not granted, a user role that may not do the thing. Each needs a different remedy, so the body,
the call and the scopes the token was granted are read together.
"""
from urllib.parse import urlsplit

# The first path segment of an Accounting API call: (what it is, in words; scopes that may read
# it; scopes that may change it). From Xero's OpenAPI security lists and the granular scopes.
AREAS = {
    "Contacts": ("contacts", {"accounting.contacts", "accounting.contacts.read"}, {"accounting.contacts"}),
    "Invoices": ("invoices", {"accounting.transactions", "accounting.transactions.read", "accounting.invoices",
                              "accounting.invoices.read"}, {"accounting.transactions", "accounting.invoices"}),
    "Payments": ("payments", {"accounting.transactions", "accounting.transactions.read", "accounting.payments",
                              "accounting.payments.read"}, {"accounting.transactions", "accounting.payments"}),
}
SETTINGS = ("the organisation's settings", {"accounting.settings", "accounting.settings.read"},
            {"accounting.settings"})
for _name in ("Organisation", "Accounts", "TaxRates", "Currencies", "BrandingThemes"):
    AREAS[_name] = SETTINGS

EXPIRED = "expired"          # 401 TokenExpired: refresh and try again
UNAUTHORISED = "unauthorised"  # other 401: refresh (a revoked grant fails there) and try again once
SCOPE = "scope"              # the call needs a scope the token was not granted
ROLE = "role"                # the connecting user's role in Xero may not do this
TENANT = "tenant"            # 403 AuthenticationUnsuccessful: the organisation may not be connected
FORBIDDEN = "forbidden"      # any other 403


def area_of(method, url):
    """``(words, scopes that allow the call)`` for an Accounting API call, or None for other calls."""
    parts = urlsplit(url).path.split("/api.xro/2.0/", 1)
    area = AREAS.get(parts[1].split("/", 1)[0]) if len(parts) == 2 else None
    if area is None:
        return None
    words, readers, writers = area
    return words, readers if method == "GET" else writers


def kind_of(status, text, method, url, granted):
    """The kind of a 401/403 answer (one of the constants above).

    :param text: the answer's body as text; ``granted``: the scopes the token was granted (a
        space-separated string, or None when unknown).
    """
    area = area_of(method, url)
    if area is not None and granted is not None and not area[1] & set(granted.split()):
        return SCOPE
    if status == 401 and "TokenExpired" in text:
        return EXPIRED
    if "not permitted" in text or " role" in text:
        return ROLE
    if status == 401:
        return UNAUTHORISED
    return TENANT if "AuthenticationUnsuccessful" in text else FORBIDDEN


def missing_scope_message(method, url):
    """What to tell the practice when the connection lacks the scope a call needs."""
    words, scopes = area_of(method, url)
    verb = "read" if method == "GET" else "change"
    return (f"Xero did not let BrightManager {verb} {words}: the connection was not given that permission "
            f"({' or '.join(sorted(scopes))} in Xero's terms). An adviser uses Reconnect Xero Integration and "
            "allows access on Xero's page; if that page does not ask for it, the administrator first adds it to "
            "the XERO_SCOPES setting. Links and waiting work are kept.")


def role_message(method, url, detail):
    """What to tell the practice when the connecting Xero user's role may not make a call."""
    area = area_of(method, url)
    doing = f"{'read' if method == 'GET' else 'change'} {area[0]}" if area else "do this"
    said = f" (Xero said: “{detail}”)" if detail else ""
    return (f"Xero did not let BrightManager {doing}: the Xero user who connected it does not have a role "
            f"that may{said}. In Xero, an adviser gives that user the Standard role or higher under Settings, "
            "Users, or a user who has it uses Reconnect Xero Integration. Links and waiting work are kept.")


TENANT_MESSAGE = ("Xero says this organisation is no longer connected to BrightManager (it was disconnected in "
                  "Xero, or the user who connected it no longer has access to it).")


def forbidden_message(detail):
    """What to tell the practice for a 403 none of the known causes explains."""
    return (f"Xero refused access to the organisation ({detail or 'Forbidden'}) although it lists it as connected. "
            "Try Sync Now again later; if it keeps happening, an adviser uses Reconnect Xero Integration.")
