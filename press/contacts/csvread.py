"""Read an uploaded contacts CSV into column names and numbered rows, whichever spreadsheet program saved it."""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

__all__ = ["CsvTable", "ImportFileError", "read_csv"]

_SAVE_AS_CSV = "in Excel choose File > Save As > CSV UTF-8"

# Characters no one types on purpose: controls other than tab and line breaks, and invisible
# format marks (zero-width spaces, direction overrides, stray byte-order marks).
INVISIBLE = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), 0x200B, 0x200E,
                           0x200F, *range(0x202A, 0x202F), *range(0x2060, 0x2065), *range(0x2066, 0x206A), 0xFEFF])

_DELIMITERS = (",", ";", "\t")
_SEP_LINE = re.compile(r"sep=([,;\t])[ \t]*(?:\r\n|\r|\n|$)", re.I)  # Excel's own hint at the top of a file
_BLANK = " \t\r\n,;"  # what a line holds when Excel saves an empty row
_LINE_BREAK = re.compile(rb"\r\n?|\n")
# A well-formed UTF-8 sequence of two to four bytes; in a file that is otherwise not UTF-8 it means mixed encodings.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
                            rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
                            rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")
_NOT_TEXT = f"This file is not a text file, so it cannot be a CSV file: {_SAVE_AS_CSV}."


class ImportFileError(ValueError):
    """The whole file cannot be used; the message tells the person uploading it why, in plain words."""


@dataclass
class CsvTable:
    """A decoded CSV file: its encoding and separator, its column names, and its rows numbered by line in the file."""

    encoding: str  # "utf-8", "utf-8-sig", "cp1252" or "utf-16"
    delimiter: str  # "," ";" or "\t"
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (line where the record starts, cells padded to the number of headers)
    header_line: int = 1  # later than 1 when blank lines or an Excel "sep=" line come first


def _line_at(data: bytes, offset: int) -> int:
    """The 1-based line of a byte offset, counting CRLF, LF and lone CR as line breaks."""
    return len(_LINE_BREAK.findall(data, 0, offset)) + 1


def _refuse_binary(data: bytes) -> None:
    """Raise a plain-words error when the upload is a workbook, document or other binary file rather than text."""
    head = data[:8]
    if head.startswith(b"PK\x03\x04"):
        if b"xl/" in data:
            raise ImportFileError(f"This looks like an Excel workbook (.xlsx), not a CSV file: {_SAVE_AS_CSV}.")
        if b"word/" in data:
            raise ImportFileError("This looks like a Word document (.docx), not a CSV file: export the contacts from"
                                  f" a spreadsheet instead ({_SAVE_AS_CSV}).")
        if b"opendocument.spreadsheet" in data[:200]:
            raise ImportFileError("This looks like an OpenDocument spreadsheet (.ods), not a CSV file: in LibreOffice"
                                  " choose File > Save As > Text CSV, with UTF-8 as the character set.")
        raise ImportFileError("This is a zip archive, not a CSV file: unzip it and upload the CSV file inside.")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise ImportFileError(f"This looks like an old Excel workbook (.xls), not a CSV file: {_SAVE_AS_CSV}.")
    if head.startswith(b"%PDF"):
        raise ImportFileError("This is a PDF document, not a CSV file: export the contacts from the spreadsheet or"
                              f" system they came from ({_SAVE_AS_CSV}).")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        raise ImportFileError("This is an image, not a CSV file.")
    if head.startswith(b"{\\rtf"):
        raise ImportFileError("This is a Rich Text document (.rtf), not a CSV file.")
    start = data[:400].lstrip(codecs.BOM_UTF8 + b" \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table")):
        raise ImportFileError("This is a web page (HTML), not a CSV file: open it in Excel, then choose File > Save As"
                              " > CSV UTF-8.")
    if start.startswith(b"<?xml"):
        raise ImportFileError("This is an XML file, not a CSV file: open it in Excel, then choose File > Save As >"
                              " CSV UTF-8.")


def _utf16_without_bom(sample: bytes) -> str | None:
    """Name the UTF-16 byte order of text saved without a byte-order mark, or None when the sample is not UTF-16."""
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    # Mostly-ASCII UTF-16 has a zero in every other byte, on one side only.
    if odd > half * 0.6 and even < half * 0.05:
        return "utf-16-le"
    if even > half * 0.6 and odd < half * 0.05:
        return "utf-16-be"
    return None


def _decode(data: bytes) -> tuple[str, str]:
    """Decode the upload, trying UTF-8 strictly before Windows-1252; return the text and the encoding used."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ImportFileError(f"The file says it is UTF-16 text but is damaged: {_SAVE_AS_CSV}.") from None
    sample = data[:4096]
    # A few stray NULs or control bytes in a text file are dropped later; many mean a binary file.
    if sample.count(0) > max(8, len(sample) * 0.1):
        order = _utf16_without_bom(sample)
        if order is None:
            raise ImportFileError(_NOT_TEXT)
        try:
            return data.decode(order), "utf-16"
        except UnicodeDecodeError:
            raise ImportFileError(_NOT_TEXT) from None
    controls = sum(sample.count(bytes([b])) for b in (*range(1, 9), 11, 12, *range(14, 32)))
    if controls > max(8, len(sample) * 0.05):
        raise ImportFileError(_NOT_TEXT)
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as err:
            raise ImportFileError(f"The file says it is UTF-8 but line {_line_at(data, err.start)} is not: the file"
                                  f" mixes two text encodings. {_SAVE_AS_CSV[0].upper()}{_SAVE_AS_CSV[1:]}, check"
                                  " the accented letters and upload that file.") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as err:
        first_bad = err.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as err:
        # Bytes Windows-1252 leaves undefined mean some third encoding: guessing would garble names unnoticed.
        raise ImportFileError(f"The file is not UTF-8, and line {_line_at(data, err.start)} has a character that is"
                              f" not Windows-1252 either, so its encoding is unknown: {_SAVE_AS_CSV} and upload"
                              " that file.") from None
    mixed = _UTF8_SEQUENCE.search(data)
    if mixed:
        raise ImportFileError(f"Line {_line_at(data, mixed.start())} is written in UTF-8 but line"
                              f" {_line_at(data, first_bad)} is not: the file mixes two text encodings, so some"
                              f" names would come out garbled. {_SAVE_AS_CSV[0].upper()}{_SAVE_AS_CSV[1:]}, check"
                              " the accented letters and upload that file.")
    return text, "cp1252"


def _first_record(text: str) -> str:
    """The text of the first record, up to the first line break outside quotes."""
    quoted = False
    for pos, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char in "\r\n" and not quoted:
            return text[:pos]
    return text


def _ends_inside_quotes(record: str, delimiter: str) -> bool:
    """Whether a record, read as Python's csv module reads it, ends inside a quoted cell."""
    state = "start"
    for char in record:
        if state == "start":
            state = "quoted" if char == '"' else ("start" if char == delimiter else "plain")
        elif state == "plain":
            if char == delimiter or char in "\r\n":
                state = "start"
        elif state == "quoted":
            if char == '"':
                state = "quote"
        elif char == '"':  # a doubled quote inside a quoted cell
            state = "quoted"
        else:
            state = "start" if char == delimiter or char in "\r\n" else "plain"
    return state == "quoted"


def _count_outside_quotes(record: str) -> dict[str, int]:
    """How often each candidate separator appears in a record outside quoted cells."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in record:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return counts


def _choose_delimiter(header: str, following: list[str]) -> str:
    """Pick the separator from the header line; when several appear, the one that splits the next lines alike."""
    counts = _count_outside_quotes(header)
    candidates = [d for d in _DELIMITERS if counts[d]]
    if not candidates:
        return ","  # a single column, so any separator reads it the same
    if len(candidates) == 1:
        return candidates[0]
    sample = "".join(following)

    def score(delimiter: str) -> tuple[int, int]:
        width = counts[delimiter] + 1
        agreeing = sum(1 for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
                       if len(row) == width)
        return agreeing, width

    return max(candidates, key=score)


def _is_blank(cells: list[str]) -> bool:
    """Whether a record holds nothing but separators and spaces."""
    return not any(cell.strip() for cell in cells)


def _clean_header(cell: str) -> str:
    """A column name with surrounding spaces and invisible characters removed."""
    return " ".join(cell.translate(INVISIBLE).split())


def read_csv(data: bytes, *, max_rows: int = 200_000) -> CsvTable:
    """Decode and split an uploaded CSV file, numbering each record by the file line it starts on."""
    if not data.strip(codecs.BOM_UTF8 + b" \t\r\n"):
        raise ImportFileError("The file is empty.")
    _refuse_binary(data)
    text, encoding = _decode(data)
    if "\x00" in text:
        text = text.replace("\x00", "")

    lines = io.StringIO(text, newline="").readlines()
    first = 0  # index of the first line that is not blank, in `lines`
    while first < len(lines) and not lines[first].strip(_BLANK):
        first += 1
    if first == len(lines):
        raise ImportFileError("The file is empty.")
    sep = _SEP_LINE.match(lines[first])
    if sep:
        delimiter = sep.group(1)
        first += 1
        while first < len(lines) and not lines[first].strip(_BLANK):
            first += 1
        if first == len(lines):
            raise ImportFileError("The file is empty.")
    else:
        header_text = _first_record("".join(lines[first:first + 20]))
        delimiter = _choose_delimiter(header_text, lines[first + 1:first + 51])

    reader = csv.reader(iter(lines[first:]), delimiter=delimiter)
    header_line = first + 1
    headers: list[str] = []
    width = 0
    rows: list[tuple[int, list[str]]] = []
    end = first  # physical lines consumed so far
    has_data = False
    try:
        for cells in reader:
            start = end + 1
            end = first + reader.line_num
            if start == header_line:
                headers = [_clean_header(cell) for cell in cells]
                width = len(headers)
                continue
            if len(cells) < width:
                cells.extend([""] * (width - len(cells)))
            rows.append((start, cells))
            if len(rows) > max_rows:
                raise ImportFileError(f"The file has more than {max_rows:,} rows, the most one import can take:"
                                      " split it into smaller files.")
            has_data = has_data or not _is_blank(cells)
    except csv.Error as err:
        if "field larger" in str(err):
            raise ImportFileError(f"Line {end + 1} has a cell longer than {csv.field_size_limit():,} characters, so"
                                  " a quote mark is probably not closed there.") from None
        raise ImportFileError(f"Line {end + 1} cannot be read as CSV: {err}.") from None
    if not has_data:
        raise ImportFileError("The file has column names but no rows of contacts under them.")
    if rows and _ends_inside_quotes("".join(lines[rows[-1][0] - 1:]), delimiter):
        raise ImportFileError(f"Line {rows[-1][0]} opens a quoted cell that is never closed, so everything after it"
                              " would be read as one cell: check the quote marks on that line.")
    return CsvTable(encoding=encoding, delimiter=delimiter, headers=headers, rows=rows, header_line=header_line)
