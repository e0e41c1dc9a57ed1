"""The sandbox's per-app services, reachable from any request."""
from dataclasses import dataclass

from flask import current_app


@dataclass
class Sandbox:
    """Everything one sandbox app owns: state, clock and the edge behaviours around the API."""

    store: object
    clock: object
    limits: object
    faults: object
    idempotency: object
    stats: object
    webhooks: object
    variants: object
    admin: bool


def current():
    """The Sandbox of the app handling this request."""
    return current_app.extensions["xero_sandbox"]
