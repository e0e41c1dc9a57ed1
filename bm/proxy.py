"""Behind a reverse proxy: which forwarded headers to trust, and the app's public address."""
from urllib.parse import urlsplit

from flask import current_app, url_for
from werkzeug.middleware.proxy_fix import ProxyFix


def install(app):
    """Trust the X-Forwarded-* headers of the ``BM_PROXY_HOPS`` proxies in front of the app (none by default)."""
    hops = app.config["BM_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)


def external_url_for(endpoint, **values):
    """The full address of ``endpoint`` for use outside the app (Xero's callback, links in e-mails).

    Built from ``BM_PUBLIC_URL`` when it is set, whatever Host the request claims; otherwise
    from the request as the trusted proxies describe it.
    """
    public = current_app.config["BM_PUBLIC_URL"]
    if not public:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(public)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)
