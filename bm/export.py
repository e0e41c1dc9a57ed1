"""CSV exports streamed row by row: the database is read in chunks and nothing holds every row."""
import csv
import io

from flask import Response, stream_with_context

from .csvsafe import neutralise
from .extensions import db

CHUNK_ROWS = 1000
BOM = "\ufeff"  # spreadsheets then read the file as UTF-8


def csv_chunks(header, query, shape=tuple):
    """Yield the CSV text of ``query``'s rows (as ``shape`` turns each into cells), ``CHUNK_ROWS`` at a time.

    ``yield_per`` fetches the rows in chunks (a server-side cursor on PostgreSQL).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(header)
    result = db.session.execute(query.execution_options(yield_per=CHUNK_ROWS))
    for rows in result.partitions():
        writer.writerows([neutralise(value) for value in shape(row)] for row in rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def csv_response(filename, header, query, shape=tuple):
    """A streamed CSV download of ``query``'s rows, each turned into cells by ``shape``."""
    return Response(stream_with_context(csv_chunks(header, query, shape)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
