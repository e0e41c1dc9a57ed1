"""Sync logic: plain functions over a XeroClient and the database (no Flask requests, no RQ)."""
