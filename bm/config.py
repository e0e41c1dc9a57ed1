"""Every setting, read from the environment once, each with a default.

README.md lists them in a table; keep the two in step.
"""
import os
import secrets
from pathlib import Path

from .localtime import zone_name_from_environment


def _instance_secret(instance_path, name):
    """Return a random secret kept in the instance folder, created on first use."""
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


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
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _instance_secret(instance_path, "secret_key"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
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
        "BM_ENCRYPTION_KEY": os.environ.get("BM_ENCRYPTION_KEY")
        or _instance_secret(instance_path, "encryption_key"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("BM_SECURE_COOKIES", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": int(os.environ.get("BM_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024))),
    }
