"""CSV for spreadsheets: cells opened as text, never as formulas (CSV injection), and streamed downloads."""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from flask import Response, stream_with_context

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """A cell Excel shows as text rather than running it as a formula."""
    # Spreadsheets skip leading spaces before deciding a cell is a formula, so look past them too.
    if value.startswith(FORMULA_START) or value.lstrip(" ").startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(headers: Sequence[str], chunks: Iterable[Iterable[Sequence[object]]]) -> Iterator[str]:
    """CSV text a chunk of rows at a time, so that no export holds all its rows at once.

    The first piece is a byte-order mark, which tells Excel the file is UTF-8 so accented names survive,
    and the header row; each chunk of rows is written out before the next is asked for.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    yield "\ufeff" + out.getvalue()
    for rows in chunks:
        out.seek(0)
        out.truncate()
        writer.writerows(rows)
        yield out.getvalue()


def csv_download(filename: str, headers: Sequence[str], chunks: Iterable[Iterable[Sequence[object]]]) -> Response:
    """A CSV attachment streamed as it is read from the database, within the request's context.

    Whatever the view records about the export (the audit trail) must be committed before it returns this:
    the rows are read and written after the view has returned.
    """
    return Response(stream_with_context(csv_text(headers, chunks)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
