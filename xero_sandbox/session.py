"""Who is logged in to the sandbox's web pages, and which organisation they are looking at."""
from functools import wraps
from urllib.parse import quote

from flask import redirect, request, session

from .context import current


def current_user():
    """The logged-in Xero user record, or None."""
    email = session.get("user")
    return current().store.get("user", email) if email else None


def log_in(email):
    """Remember the user for this browser session."""
    session.clear()
    session["user"] = email


def current_tenant():
    """The organisation the user is looking at (their first one until they switch)."""
    user = current_user()
    if user is None:
        return None
    tenant = session.get("tenant")
    return tenant if tenant in user["tenants"] else user["tenants"][0]


def switch_tenant(tenant_id):
    """Look at another of the user's organisations."""
    session["tenant"] = tenant_id


def login_required(view):
    """Send anonymous visitors to the login page, then back here."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user() is None:
            return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='')}")
        return view(*args, **kwargs)
    return wrapper
