"""Turn an uploaded Word (.docx) press release into the plain text a person would paste."""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass, field

import docx
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.parts.document import DocumentPart
from docx.styles.style import BaseStyle
from lxml import etree

from press.releases.files import TooLargeUnpackedError, check_unpacked_size

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Deleted tracked changes, field codes and formatting hold no text a reader sees.
_SKIPPED = {W + "del", W + "moveFrom", W + "instrText", W + "delText", W + "pPr", W + "rPr", MC_FALLBACK}
_RUN_TEXT = {W + "t": None, W + "tab": "\t", W + "br": "\n", W + "cr": "\n", W + "noBreakHyphen": "-"}


@dataclass
class DocxText:
    """The pasted-text shape of a .docx, plus the paragraphs that were wholly bold (a likely standfirst)."""

    text: str
    bold_paragraphs: set[str] = field(default_factory=set)


def docx_to_text(data: bytes) -> str:
    """Turn .docx bytes into text shaped as a person would paste it, raising ValueError for a broken file."""
    return read_docx(data).text


def read_docx(data: bytes) -> DocxText:
    """Read paragraphs, lists, tables and text boxes of a .docx in reading order, or raise ValueError."""
    document = _open(data)
    reader = _Reader(document.part)
    reader.container(document.element.body)
    return DocxText(reader.text(), reader.bold)


def _open(data: bytes) -> WordDocument:
    """Open the bytes as a Word document, turning every way a file can be broken into one clear ValueError."""
    if not data:
        raise ValueError("The file is empty.")
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # the older compound format, also used for password-protected files
        raise ValueError("This is an old Word (.doc) file or a password-protected one: save it as an unprotected"
                         " .docx and upload it again.")
    try:
        check_unpacked_size(data)
    except TooLargeUnpackedError as error:
        raise ValueError(f"The Word document cannot be read: {error}.") from error
    except (zipfile.BadZipFile, EOFError) as error:
        raise ValueError("The file is not a Word document (.docx): it is not a zip archive.") from error
    try:
        return docx.Document(io.BytesIO(data))
    except (ValueError, KeyError, PackageNotFoundError, etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error,
            NotImplementedError, RuntimeError) as error:
        # python-docx reports a missing part as KeyError and a non-Word package as ValueError; zipfile reports an
        # unsupported compression method as NotImplementedError and an encrypted member as RuntimeError.
        raise ValueError("The file is not a valid Word document (.docx): it may be damaged.") from error


def _numbering_formats(part: DocumentPart) -> dict[tuple[str, str], str]:
    """Map (numId, level) to its number format, such as "bullet" or "decimal"."""
    try:
        numbering = part.part_related_by(RT.NUMBERING).element
    except KeyError:
        return {}
    abstract: dict[str | None, dict[str, str]] = {}
    for definition in numbering.iter(W + "abstractNum"):
        levels = abstract.setdefault(definition.get(W + "abstractNumId"), {})
        for level in definition.iter(W + "lvl"):
            fmt = level.find(W + "numFmt")
            levels[level.get(W + "ilvl", "0")] = "decimal" if fmt is None else fmt.get(W + "val", "decimal")
    formats: dict[tuple[str, str], str] = {}
    for num in numbering.iter(W + "num"):
        ref = num.find(W + "abstractNumId")
        for level, fmt in abstract.get(None if ref is None else ref.get(W + "val"), {}).items():
            formats[(num.get(W + "numId", ""), level)] = fmt
    return formats


def _style_bold(style: BaseStyle | None) -> bool | None:
    """Whether a style (or the style it is based on) sets bold, or None if none of them says."""
    while style is not None:
        if style.font.bold is not None:
            return style.font.bold
        style = style.base_style
    return None


class _Reader:
    """Walks the document XML in reading order, collecting paragraphs, list items and table rows."""

    def __init__(self, part: DocumentPart) -> None:
        self.part = part
        self.numbering = _numbering_formats(part)
        self.counters: dict[tuple[str, str], int] = {}
        self.items: list[tuple[str, str]] = []  # (text, kind); kind is "para", "list" or "row <table id>"
        self.bold: set[str] = set()

    def text(self) -> str:
        """Join the items as pasted text: list items and table rows one a line, other paragraphs spaced."""
        parts: list[str] = []
        for n, (text, kind) in enumerate(self.items):
            if n:
                parts.append("\n" if kind != "para" and kind == self.items[n - 1][1] else "\n\n")
            parts.append(text)
        return "".join(parts)

    def container(self, element: etree._Element) -> None:
        """Read the body, a table cell, a text box or a content control."""
        for child in element:
            if child.tag == W + "p":
                self.paragraph(child)
            elif child.tag == W + "tbl":
                self.table(child)
            elif child.tag == W + "sdt":
                content = child.find(W + "sdtContent")
                if content is not None:
                    self.container(content)

    def paragraph(self, p: etree._Element) -> None:
        """Add one paragraph (as a list item if numbered), then any text boxes anchored in it."""
        style_id = p.find(f"{W}pPr/{W}pStyle")
        style = self.part.get_style(None if style_id is None else style_id.get(W + "val"), WD_STYLE_TYPE.PARAGRAPH)
        pieces: list[str] = []
        runs: list[tuple[str, bool]] = []
        boxes: list[etree._Element] = []
        self.inline(p, style, pieces, runs, boxes)
        text = "".join(pieces).strip()
        if text:
            prefix = self.list_prefix(p, style)
            if prefix is None:
                self.items.append((text, "para"))
                heading = style is not None and (style.name or "").lower().startswith(("heading", "title"))
                if not heading and all(bold for run, bold in runs if run.strip()):
                    self.bold.add(" ".join(text.split()))
            else:
                self.items.append((prefix + " ".join(text.split()), "list"))
        for box in boxes:
            self.container(box)

    def inline(self, element: etree._Element, style: BaseStyle | None, pieces: list[str],
               runs: list[tuple[str, bool]], boxes: list[etree._Element]) -> None:
        """Collect the visible text inside a paragraph, with each link's address after its words."""
        for child in element:
            if child.tag in _SKIPPED:
                continue
            if child.tag == W + "r":
                text = self.run_text(child, boxes)
                pieces.append(text)
                runs.append((text, self.run_bold(child, style)))
            elif child.tag == W + "hyperlink":
                start = len(pieces)
                self.inline(child, style, pieces, runs, boxes)
                words, rel = "".join(pieces[start:]), self.part.rels.get(child.get(R_ID, ""))
                url = rel.target_ref if rel is not None and rel.is_external else ""
                if url and url.removeprefix("mailto:") not in words:
                    pieces.append(f" ({url})")
            else:  # insertions, smart tags, inline content controls, simple fields
                self.inline(child, style, pieces, runs, boxes)

    def run_text(self, run: etree._Element, boxes: list[etree._Element]) -> str:
        """The text of a run; text boxes drawn in it are noted for reading after the paragraph."""
        out: list[str] = []
        for child in run:
            if child.tag in _RUN_TEXT:
                out.append(_RUN_TEXT[child.tag] or child.text or "")
            elif child.tag not in _SKIPPED:
                boxes.extend(_text_boxes(child))
        return "".join(out)

    def run_bold(self, run: etree._Element, style: BaseStyle | None) -> bool:
        """Whether a run shows in bold, from its own formatting, its character style or the paragraph style."""
        props = run.find(W + "rPr")
        if props is not None:
            bold = props.find(W + "b")
            if bold is not None:
                return bold.get(W + "val", "true").lower() not in ("0", "false", "off")
            char_style = props.find(W + "rStyle")
            if char_style is not None:
                found = _style_bold(self.part.get_style(char_style.get(W + "val"), WD_STYLE_TYPE.CHARACTER))
                if found is not None:
                    return found
        return bool(_style_bold(style))

    def list_prefix(self, p: etree._Element, style: BaseStyle | None) -> str | None:
        """The Markdown list marker for a numbered or bulleted paragraph, or None for ordinary text."""
        num = p.find(f"{W}pPr/{W}numPr")
        base = style
        while num is None and base is not None:  # list styles carry their numbering in the style
            num = base.element.find(f"{W}pPr/{W}numPr")
            base = base.base_style
        name = (style.name or "") if style is not None else ""
        num_id = None if num is None else num.find(W + "numId")
        if num_id is None or num_id.get(W + "val") == "0":  # numId 0 switches numbering off
            if name.startswith("List Bullet"):
                return "- "
            return self.count((name, "0")) if name.startswith("List Number") else None
        level_el = num.find(W + "ilvl")
        key = (num_id.get(W + "val", ""), "0" if level_el is None else level_el.get(W + "val", "0"))
        fmt = self.numbering.get(key, "bullet")
        if fmt == "none":
            return None
        indent = "  " * int(key[1]) if key[1].isdigit() else ""
        return indent + ("- " if fmt == "bullet" else self.count(key))

    def count(self, key: tuple[str, str]) -> str:
        """The next number of a numbered list."""
        self.counters[key] = self.counters.get(key, 0) + 1
        return f"{self.counters[key]}. "

    def table(self, tbl: etree._Element) -> None:
        """Read a one-column table (a box) as paragraphs, any other table one row a line."""
        rows = [[cell for cell in row if cell.tag == W + "tc"] for row in tbl if row.tag == W + "tr"]
        if all(len(cells) <= 1 for cells in rows):
            for cells in rows:
                for cell in cells:
                    self.container(cell)
            return
        for cells in rows:
            texts = [text for text in (self.cell_text(cell) for cell in cells) if text]
            if len(texts) == 2 and len(texts[0]) <= 40 and not texts[0].rstrip(":").endswith((".", "!", "?")):
                # A label beside its value, as in a contact-details table, reads best as "Label: value".
                line = f"{texts[0].rstrip(': ')}: {texts[1]}"
            else:
                line = " | ".join(texts)
            if line:
                self.items.append((line, f"row {id(tbl)}"))

    def cell_text(self, cell: etree._Element) -> str:
        """The text of one cell of a table row, on one line."""
        saved, self.items = self.items, []
        self.container(cell)
        text = " ".join(" ".join(text.split()) for text, _ in self.items)
        self.items = saved
        return text


def _text_boxes(element: etree._Element) -> list[etree._Element]:
    """Text boxes inside a drawing, skipping the duplicate copy Word keeps for older readers."""
    found: list[etree._Element] = []
    for child in element:
        if child.tag == W + "txbxContent":
            found.append(child)
        elif child.tag != MC_FALLBACK:
            found.extend(_text_boxes(child))
    return found
