"""Reading a client CSV into rows of client fields, with readable errors."""
import csv
import io

from .csvsafe import restore
from .models import Client

HEADER_ALIASES = {
    "ref": "reference", "client reference": "reference", "code": "reference",
    "type": "kind", "client type": "kind",
    "first name": "first_name", "firstname": "first_name", "last name": "last_name",
    "lastname": "last_name", "surname": "last_name", "email address": "email", "e-mail": "email",
    "telephone": "phone", "phone number": "phone", "address": "address_line1",
    "address line 1": "address_line1", "address 1": "address_line1",
    "address line 2": "address_line2", "address 2": "address_line2", "town": "city",
    "county": "region", "state": "region", "post code": "postcode", "postal code": "postcode",
    "zip": "postcode", "vat number": "tax_number", "tax number": "tax_number",
    "utr": "tax_number", "account number": "account_number",
}
MAX_ROWS = 20000


class CSVError(Exception):
    """The file as a whole cannot be read; the message says why."""


def parse_clients_csv(data):
    """Return ``(rows, ignored_columns)`` from CSV bytes; raise CSVError for a bad file."""
    if not data:
        raise CSVError("The file is empty.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CSVError("The file is not UTF-8 text. In your spreadsheet, save it as "
                       "\u201cCSV UTF-8\u201d and upload it again.") from None
    if "\x00" in text:
        raise CSVError("This does not look like a CSV file.")
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if not header:
            raise CSVError("The file has no header row.")
        columns = [_field_for(name) for name in header]
        if "name" not in columns and not {"first_name", "last_name"} <= set(columns):
            raise CSVError("The header row needs a Name column (or First name and Last name).")
        rows = []
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise CSVError(f"Import at most {MAX_ROWS} clients at a time.")
            rows.append({column: restore(value) for column, value in zip(columns, values) if column})
    except csv.Error as exc:
        raise CSVError(f"The file could not be read as CSV: {exc}.") from None
    if not rows:
        raise CSVError("The file has a header row but no clients below it.")
    ignored = [name for name, column in zip(header, columns) if not column]
    return rows, ignored


def _field_for(header_name):
    key = header_name.strip().lower()
    if key.replace(" ", "_") in Client.EDITABLE_FIELDS:
        return key.replace(" ", "_")
    return HEADER_ALIASES.get(key)
