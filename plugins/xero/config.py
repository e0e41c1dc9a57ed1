"""The plugin's settings, typed once: from the app's config when set there (tests), else the environment."""
import os

from flask import current_app

SETTINGS = {  # name: (type, default); see README's settings table
    "XERO_CLIENT_ID": (str, ""),
    "XERO_CLIENT_SECRET": (str, ""),
    "XERO_BASE_URL": (str, ""),
    "XERO_SCOPES": (str, "offline_access accounting.contacts accounting.settings.read accounting.invoices "
                         "accounting.payments"),
    "XERO_HTTP_TIMEOUT": (float, "30"),
    "XERO_HTTP_BACKOFF": (float, "1.0"),
    "XERO_SYNC_LOCK_SECONDS": (int, "60"),
    "XERO_WEBHOOK_KEY": (str, ""),
}


def setting(name):
    """Return the setting ``name`` as its type (see README's settings table)."""
    kind, default = SETTINGS[name]
    value = current_app.config[name] if name in current_app.config else os.environ.get(name, default)
    return kind(value)
