"""Small helpers for the Xero tests (fixtures are in conftest.py)."""
import re
from html import unescape

from sqlalchemy import select

from bm import services
from bm.demo import DEMO_CLIENTS
from bm.extensions import db
from plugins.xero.models import ContactLink, XeroContact
from tests.support import client_named, html  # the core tests' helpers, which the Xero tests use too

__all__ = ["client_named", "contact_id_of", "contact_of", "create_demo_clients", "flashes", "html", "link_of", "listed"]


def create_demo_clients():
    """The demo practice's clients (bm.demo.DEMO_CLIENTS), created and committed."""
    for data in DEMO_CLIENTS:
        services.create_client(dict(data))
    db.session.commit()


def contact_id_of(name):
    """The ContactID of the Xero contact called ``name``, as the last sync stored it."""
    return db.session.scalar(select(XeroContact.contact_id).where(XeroContact.name == name))


def link_of(client):
    """The client's live link to a Xero contact, or None."""
    return db.session.scalar(select(ContactLink).where(ContactLink.client_id == client.id,
                                                       ContactLink.archived_at.is_(None)))


def contact_of(client):
    """The ContactID the client is (or was) linked to, or None."""
    return db.session.scalar(select(ContactLink.contact_id).where(ContactLink.client_id == client.id))


def listed(page, name):
    """Whether a Xero contact is in the list of unlinked customers on the Xero page."""
    table = re.search(r'<table class="table xero-list">(.*?)</table>', page, re.S)
    return bool(table) and f"<strong>{name}</strong>" in table.group(1)


def flashes(page):
    """The messages shown at the top of a page, as ``[(kind, text)]`` in plain text."""
    found = re.findall(r'<p class="flash flash-(\w+)"[^>]*>(.*?)</p>', page, re.S)
    return [(kind, unescape(re.sub(r'<span class="visually-hidden">[^<]*</span>|<[^>]+>', "", text)).strip())
            for kind, text in found]
