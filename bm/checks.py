"""Production checks: settings that are fine on a laptop but unsafe on a practice's server.

``bm check`` prints them and fails; every process logs them as it starts.
"""
import logging

log = logging.getLogger(__name__)


def production_problems(config):
    """Return one sentence per unsafe setting, each saying how to fix it."""
    problems = []
    on_postgres = config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    if on_postgres:
        problems += [f"{name} is a generated file in this machine's instance folder while the database is "
                     f"PostgreSQL: every web and worker process must share one value. Set {name} in the "
                     f"environment of each (and keep a copy of it)." for name in config["BM_GENERATED_SECRETS"]]
    behind_https = config["BM_PUBLIC_URL"].startswith("https://")
    if behind_https and not config["SESSION_COOKIE_SECURE"] and not config["BM_PROXY_HOPS"]:
        problems.append("BM_SECURE_COOKIES is off while users reach the app over https (BM_PUBLIC_URL) "
                        "through a proxy the app does not trust (BM_PROXY_HOPS=0), so it sees plain http "
                        "and session cookies are not marked Secure. Set BM_SECURE_COOKIES=true.")
    if on_postgres and not config["BM_PUBLIC_URL"]:
        problems.append("BM_PUBLIC_URL is not set: the addresses given out (Xero's OAuth callback, "
                        "password reset links) come from each request's Host header. Set it to the "
                        "address users reach the app at, such as https://bm.example.com.")
    return problems


def log_problems(app):
    """Log each production problem of the app's settings as a warning."""
    for problem in production_problems(app.config):
        log.warning(problem)
