"""The WSGI entry point for servers and ``flask --app bm.wsgi``: ``gunicorn bm.wsgi:app``."""
from . import create_app

app = create_app()
