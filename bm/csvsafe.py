"""Spreadsheet formula injection: cells are neutralised on export and restored on import.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return before one) as a formula. Such a cell is written with a leading apostrophe, which
spreadsheets show as text; a cell that already starts with apostrophes before one of those
characters gets one more, so that reading a cell back (``restore``) always gives the value written.
"""
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _needs_quote(text):
    return text.lstrip("'").startswith(TRIGGERS)


def neutralise(value):
    """A value as text safe to put in a spreadsheet cell."""
    text = "" if value is None else str(value)
    return f"'{text}" if _needs_quote(text) else text


def restore(text):
    """The value a cell written by ``neutralise`` held."""
    return text[1:] if text.startswith("'") and _needs_quote(text) else text
