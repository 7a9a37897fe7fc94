"""Attachment files: what they really are, and where they are kept."""

import hashlib
import io
import os
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

from werkzeug.utils import secure_filename

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXTENSIONS = {
    "application/pdf": ".pdf",
    DOCX: ".docx",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
}


# A few kilobytes of zip can unpack to gigabytes; no real Word document comes near these.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
# Deflate never makes data much larger: an entry packed well over its stated size misstates that size.
DEFLATE_OVERHEAD = 1024


class AttachmentError(ValueError):
    """The file cannot be attached, for a reason the uploader can act on."""


class TooLargeUnpackedError(ValueError):
    """A zip archive (an office file) that would unpack to more than any real document."""


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    content_type: str
    size: int
    sha256: str


def check_unpacked_size(data: bytes) -> None:
    """Refuse a zip archive with more entries or more unpacked bytes than a real Word document has.

    Raises TooLargeUnpackedError naming the reason, or zipfile's own errors for bytes that are not a zip archive.
    """
    # Each entry in the archive's directory starts with this signature, so the count is never too low; made
    # before the archive is opened, it refuses a million tiny entries without reading a million headers.
    if data.count(b"PK\x01\x02") > MAX_ZIP_ENTRIES:
        raise TooLargeUnpackedError(f"it holds more than {MAX_ZIP_ENTRIES} files")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise TooLargeUnpackedError(f"it holds more than {MAX_ZIP_ENTRIES} files")
    if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
        raise TooLargeUnpackedError(f"it would unpack to over {MAX_UNPACKED_BYTES // (1024 * 1024)} MB")
    if any(entry.compress_size > entry.file_size * 1.01 + DEFLATE_OVERHEAD for entry in entries):
        raise TooLargeUnpackedError("it misstates the size of what it holds")


def sniff_content_type(data: bytes) -> str | None:
    """Name the type of a file from its first bytes, not from its name; None if not allowed."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"PK\x03\x04") and is_docx(data):
        return DOCX
    return None


def is_docx(data: bytes) -> bool:
    """Tell whether a zip file is a Word document (and not, say, a renamed archive)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def clean_filename(filename: str, content_type: str) -> str:
    """Keep a readable, safe download name with the extension its real type deserves."""
    stem = Path(secure_filename(filename) or "attachment").stem[:100] or "attachment"
    return stem + EXTENSIONS[content_type]


def store(directory: str, data: bytes, max_bytes: int) -> StoredFile:
    """Check a file's size and type, then write it under a random name."""
    if not data:
        raise AttachmentError("The file is empty.")
    if len(data) > max_bytes:
        raise AttachmentError(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    if data.startswith(b"PK\x03\x04"):
        # Before the type, which is told by reading the archive; and journalists' computers would unpack it.
        try:
            check_unpacked_size(data)
        except TooLargeUnpackedError as error:
            raise AttachmentError(f"This file cannot be attached: {error}, which a real Word document never does."
                                  " Save it again from Word, or attach it as a PDF.") from error
        except (zipfile.BadZipFile, EOFError, ValueError, OSError):
            pass  # not a readable archive: refused below as a type that cannot be attached
    content_type = sniff_content_type(data)
    if content_type is None:
        raise AttachmentError("Attach a PDF, a Word document (.docx) or an image (PNG, JPEG, GIF, WebP).")
    os.makedirs(directory, exist_ok=True)
    stored_name = secrets.token_hex(16) + EXTENSIONS[content_type]
    with open(os.path.join(directory, stored_name), "xb") as handle:
        handle.write(data)
    return StoredFile(stored_name, content_type, len(data), hashlib.sha256(data).hexdigest())


def path_of(directory: str, stored_name: str) -> str:
    return os.path.join(directory, stored_name)
