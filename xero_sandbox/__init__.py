"""A faithful local Xero: identity, the Accounting API, limits, faults, webhooks and a small UI.

It imports neither `bm` nor `plugins`, and is not shipped with the plugin. Run it with
`python -m xero_sandbox [--host] [--port 5055] [--data FILE] [--admin]`.
"""
from .app import create_app

__all__ = ["create_app"]
