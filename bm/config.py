"""Every setting, read from the environment once, each with a default.

README.md lists them in a table; keep the two in step.
"""
import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

# Secrets that, when not set in the environment, are generated into a file of the instance folder.
GENERATED_SECRETS = {"SECRET_KEY": "secret_key", "BM_ENCRYPTION_KEY": "encryption_key"}

from .localtime import zone_name_from_environment


class SettingsError(Exception):
    """A setting cannot be used; the message says which and what to do."""


def _instance_secret(instance_path, name, setting):
    """Return the random secret kept in the instance folder, created once.

    Processes starting at once all get the one key the first of them made: each writes a whole
    key to a file of its own and links it into place, which only one of them can do.
    """
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, own = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.")  # mode 0600
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(48))
            os.link(own, path)
        except FileExistsError:
            pass  # another process was first: its key is the one
        finally:
            os.unlink(own)
    value = path.read_text().strip()
    if not value:
        raise SettingsError(f"{path} is empty, so it cannot be used as a key. Set {setting} in the "
                            f"environment, or delete the file to have a new key made (what the old "
                            f"one protected is lost).")
    return value


def _secret(instance_path, setting):
    return os.environ.get(setting) or _instance_secret(instance_path, GENERATED_SECRETS[setting], setting)


def _public_url():
    url = os.environ.get("BM_PUBLIC_URL", "").strip().rstrip("/")
    parts = urlsplit(url)
    if url and (parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment):
        raise SettingsError(f"BM_PUBLIC_URL must be the address users reach the app at, such as "
                            f"https://bm.example.com, not {url!r}.")
    return url


def _flag(name, default):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path):
    """Build the app's config mapping from environment variables."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'bm.sqlite'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://"):]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    return {
        "SECRET_KEY": _secret(instance_path, "SECRET_KEY"),
        "BM_GENERATED_SECRETS": tuple(name for name in GENERATED_SECRETS if not os.environ.get(name)),
        "BM_PUBLIC_URL": _public_url(),
        "BM_PROXY_HOPS": int(os.environ.get("BM_PROXY_HOPS", "0")),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "BM_WORKER_HEARTBEAT_SECONDS": int(os.environ.get("BM_WORKER_HEARTBEAT_SECONDS", "30")),
        "BM_JOB_TIMEOUT": int(os.environ.get("BM_JOB_TIMEOUT", "180")),
        "BM_APP_NAME": os.environ.get("BM_APP_NAME", "BrightManager"),
        "BM_TIMEZONE": zone_name_from_environment(),
        "BM_PAGE_SIZE": int(os.environ.get("BM_PAGE_SIZE", "50")),
        "BM_LOGIN_ATTEMPTS": int(os.environ.get("BM_LOGIN_ATTEMPTS", "5")),
        "BM_LOGIN_ADDRESS_ATTEMPTS": int(os.environ.get("BM_LOGIN_ADDRESS_ATTEMPTS", "20")),
        "BM_LOGIN_WINDOW_SECONDS": int(os.environ.get("BM_LOGIN_WINDOW_SECONDS", "900")),
        "BM_LOGIN_MAX_DELAY_SECONDS": int(os.environ.get("BM_LOGIN_MAX_DELAY_SECONDS", "60")),
        "BM_PASSWORD_MIN_LENGTH": int(os.environ.get("BM_PASSWORD_MIN_LENGTH", "12")),
        "BM_PASSWORD_RESET_HOURS": int(os.environ.get("BM_PASSWORD_RESET_HOURS", "24")),
        "BM_HSTS_SECONDS": int(os.environ.get("BM_HSTS_SECONDS", str(365 * 24 * 3600))),
        "BM_SMTP_HOST": os.environ.get("BM_SMTP_HOST") or None,
        "BM_SMTP_PORT": int(os.environ.get("BM_SMTP_PORT", "587")),
        "BM_SMTP_USERNAME": os.environ.get("BM_SMTP_USERNAME") or None,
        "BM_SMTP_PASSWORD": os.environ.get("BM_SMTP_PASSWORD") or None,
        "BM_SMTP_STARTTLS": _flag("BM_SMTP_STARTTLS", True),
        "BM_MAIL_FROM": os.environ.get("BM_MAIL_FROM", "brightmanager@localhost"),
        "BM_ENCRYPTION_KEY": _secret(instance_path, "BM_ENCRYPTION_KEY"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("BM_SECURE_COOKIES", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": int(os.environ.get("BM_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024))),
    }
