"""A faithful local Xero: identity, the Accounting API, limits, faults, webhooks and a small UI.

It imports nothing from `bm` or the rest of the plugin. Run it with
`python -m plugins.xero.sandbox [--host] [--port 5055] [--data FILE] [--admin]`.
"""
from .app import create_app

__all__ = ["create_app"]
