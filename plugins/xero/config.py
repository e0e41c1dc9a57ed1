"""The plugin's settings: from the app's config when set there (tests), else the environment."""
import os

from flask import current_app

DEFAULTS = {
    "XERO_CLIENT_ID": "",
    "XERO_CLIENT_SECRET": "",
    "XERO_BASE_URL": "",
    "XERO_SCOPES": "offline_access accounting.contacts accounting.settings.read accounting.invoices accounting.payments",
    "XERO_HTTP_TIMEOUT": "30",
    "XERO_HTTP_BACKOFF": "1.0",
    "XERO_SYNC_LOCK_SECONDS": "60",
    "XERO_WEBHOOK_KEY": "",
}


def setting(name):
    """Return the setting ``name`` (see README's settings table)."""
    if name in current_app.config:
        return current_app.config[name]
    return os.environ.get(name, DEFAULTS[name])
