"""Secrets at rest, encrypted with ``BM_ENCRYPTION_KEY``: its first key encrypts, every key decrypts.

Listing a new key first and the old one after it (``new,old``) rotates the key: what the old
one encrypted still reads, and everything written from then on uses the new one.
"""
import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

__all__ = ["InvalidToken", "decrypt", "encrypt"]


def _fernet():
    keys = [key.strip() for key in current_app.config["BM_ENCRYPTION_KEY"].split(",") if key.strip()]
    # Any text is accepted as a key: its SHA-256 is the Fernet key.
    return MultiFernet([Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest())) for key in keys])


def encrypt(data):
    """Encrypt bytes with the first key."""
    return _fernet().encrypt(data)


def decrypt(token):
    """Decrypt bytes encrypted with any of the keys; raise ``InvalidToken`` if none fits."""
    return _fernet().decrypt(bytes(token))
