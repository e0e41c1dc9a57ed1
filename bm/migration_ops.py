"""What the migrations of the core and of plugins share."""


def trigram_operator_class(bind):
    """On PostgreSQL, make sure pg_trgm is installed and return its GIN operator class, named with
    the schema it lives in (which may not be on this search_path); elsewhere None."""
    if bind.dialect.name != "postgresql":
        return None
    bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema = bind.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'").scalar()
    return f"{bind.dialect.identifier_preparer.quote_identifier(schema)}.gin_trgm_ops"
