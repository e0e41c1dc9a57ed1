"""The app as gunicorn serves it in the page benchmark, plus one trivial page as the baseline.

The trivial page goes through the same server, login check and session as the real pages,
so the difference is what each page itself costs.
"""
from bm import create_app

app = create_app()


@app.get("/_bench/trivial")
def trivial():
    """A page that does nothing: the baseline for the page benchmark."""
    return "ok"
