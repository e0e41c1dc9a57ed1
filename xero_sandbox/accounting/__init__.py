"""Xero's Accounting API (`/api.xro/2.0`): rules in one module per resource, views in routes."""
