"""The client search stays fast at 100,000 clients on PostgreSQL: trigram indexes serve it.

(make bench measures the speed; this checks the indexes the migration builds are the right kind.)
"""
from sqlalchemy import text

from bm.extensions import db


def test_client_search_has_the_right_indexes_for_the_database(app):
    """PostgreSQL serves the contains-search from GIN trigram indexes; SQLite has plain ones of the same names."""
    if db.engine.dialect.name == "postgresql":
        definitions = dict(db.session.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'clients' AND indexname LIKE '%_trgm'")).all())
        for field in ("name", "email", "reference"):
            definition = definitions[f"ix_clients_{field}_trgm"]
            assert "USING gin" in definition and "gin_trgm_ops" in definition and f"({field} " in definition
    else:
        names = {row[1] for row in db.session.execute(text("PRAGMA index_list('clients')"))}
        assert {"ix_clients_archived_name", "ix_clients_name_trgm", "ix_clients_email_trgm",
                "ix_clients_reference_trgm"} <= names


def test_search_finds_clients_by_part_of_name_email_or_reference(admin, make_client):
    make_client(name="Harbour View Cafe Ltd", reference="HV001")
    make_client(name="Quay Street Bakery", email="orders@harbourbread.example")
    make_client(name="Hill Farm", reference="HARB-7")
    make_client(name="Elsewhere Ltd")
    page = admin.get("/clients/?q=HARB").get_data(as_text=True)
    assert "Harbour View Cafe Ltd" in page and "Quay Street Bakery" in page and "Hill Farm" in page
    assert "Elsewhere Ltd" not in page
