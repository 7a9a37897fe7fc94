"""Attachments: type checked by content, size capped, public only with their release."""

import io
import os
import struct
import zipfile
from datetime import timedelta

import docx
import pytest

from press.extensions import db
from press.releases.models import Attachment, Release

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def word_document() -> bytes:
    document = docx.Document()
    document.add_paragraph("Full report")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", b"MZ...")
    return buffer.getvalue()


def upload(client, release_id: int, data: bytes, filename: str, title: str = ""):
    return client.post(
        f"/staff/releases/{release_id}/attachments",
        data={"document": (io.BytesIO(data), filename), "title": title},
        content_type="multipart/form-data",
    )


def attachments(app, release_id: int) -> list[Attachment]:
    with app.app_context():
        items = db.session.scalars(db.select(Attachment).where(Attachment.release_id == release_id)).all()
        db.session.expunge_all()
        return items


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "stored_as"),
    [
        (PDF, "Annual Report 2024.pdf", "application/pdf", "Annual_Report_2024.pdf"),
        (PNG, "photo.png", "image/png", "photo.png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "Photo.JPEG", "image/jpeg", "Photo.jpg"),
        (None, "report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "report.docx"),
        (PDF, "../../etc/passwd", "application/pdf", "etc_passwd.pdf"),
        (PDF, "report.exe", "application/pdf", "report.pdf"),
    ],
)
def test_accepted_types(app, client, manager, make_release, data, filename, content_type, stored_as):
    release_id = make_release(contact_id=manager)
    response = upload(client, release_id, data if data is not None else word_document(), filename)
    assert response.status_code == 302
    [item] = attachments(app, release_id)
    assert item.content_type == content_type
    assert item.filename == stored_as


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"just some text pretending", "report.pdf"),
        (b"MZ\x90\x00 windows program", "photo.png"),
        (plain_zip(), "report.docx"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "logo.svg"),
        (b"", "empty.pdf"),
    ],
)
def test_refused_types_say_why(app, client, manager, make_release, data, filename):
    release_id = make_release(contact_id=manager)
    response = upload(client, release_id, data, filename, title="Kept title")
    assert response.status_code == 400
    page = response.data.decode()
    assert "There is a problem" in page
    assert "Attach a PDF" in page or "The file is empty." in page
    assert 'value="Kept title"' in page
    assert attachments(app, release_id) == []


def test_size_is_capped(app, client, manager, make_release):
    app.config["PRESS_MAX_ATTACHMENT_BYTES"] = 1024
    release_id = make_release(contact_id=manager)
    response = upload(client, release_id, PDF + b"0" * 2048, "big.pdf")
    assert response.status_code == 400 and b"larger than" in response.data


def test_request_over_the_limit_gets_a_clear_page(app, client, manager, make_release):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    release_id = make_release(contact_id=manager)
    response = upload(client, release_id, PDF + b"0" * 8192, "big.pdf")
    assert response.status_code == 413
    assert b"The file is too large" in response.data


def test_missing_file_is_a_field_error(client, manager, make_release):
    release_id = make_release(contact_id=manager)
    response = client.post(f"/staff/releases/{release_id}/attachments", data={"title": "x"})
    assert response.status_code == 400 and b"Choose a file to attach." in response.data


def test_embargoed_attachment_is_private_until_the_lift(app, client, manager, make_release, frozen_clock):
    release_id = make_release(contact_id=manager, embargo_at=frozen_clock() + timedelta(hours=1), final=True)
    upload(client, release_id, PDF, "report.pdf", title="Full report")
    [item] = attachments(app, release_id)
    with app.app_context():
        slug = db.session.get(Release, release_id).slug
    with client.get(f"/staff/releases/{release_id}/attachments/{item.id}") as response:
        assert response.status_code == 200 and response.data == PDF
        assert response.headers["Cache-Control"] == "no-store"
    client.post("/staff/logout")
    public = f"/releases/{slug}/files/{item.id}/{item.filename}"
    assert client.get(public).status_code == 404
    assert client.get(f"/staff/releases/{release_id}/attachments/{item.id}").status_code == 302
    frozen_clock.advance(hours=1)
    with client.get(public) as response:
        assert response.status_code == 200 and response.data == PDF
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "attachment" in response.headers["Content-Disposition"]
    assert client.get(f"/releases/{slug}/files/{item.id}/other-name.pdf").status_code == 404
    assert "Full report" in client.get(f"/releases/{slug}").data.decode()


def test_attachment_of_another_release_is_not_found(app, client, manager, make_release):
    first = make_release(contact_id=manager)
    second = make_release(contact_id=manager, headline="Another")
    upload(client, first, PDF, "report.pdf")
    [item] = attachments(app, first)
    assert client.get(f"/staff/releases/{second}/attachments/{item.id}").status_code == 404
    assert client.post(f"/staff/releases/{second}/attachments/{item.id}/delete").status_code == 404


def test_removing_an_attachment_is_recorded(app, client, manager, make_release):
    release_id = make_release(contact_id=manager)
    upload(client, release_id, PDF, "report.pdf")
    [item] = attachments(app, release_id)
    client.post(f"/staff/releases/{release_id}/attachments/{item.id}/delete")
    assert attachments(app, release_id) == []
    page = client.get(f"/staff/releases/{release_id}").data.decode()
    assert "Attachment removed" in page and "Attachment added" in page


MEGABYTE = 1024 * 1024


def word_document_with(add) -> bytes:
    """A real Word document, with whatever add(archive) writes into it besides, packed as tightly as zip can."""
    buffer = io.BytesIO()
    with (zipfile.ZipFile(io.BytesIO(word_document())) as source,
          zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive):
        for item in source.infolist():
            archive.writestr(item.filename, source.read(item))
        add(archive)
    return buffer.getvalue()


def zeros(megabytes: int):
    def add(archive: zipfile.ZipFile) -> None:
        chunk = bytes(MEGABYTE)
        with archive.open("word/media/image1.png", "w") as handle:
            for _ in range(megabytes):
                handle.write(chunk)

    return add


def stored_files(app) -> list[str]:
    directory = app.config["PRESS_UPLOAD_DIR"]
    return os.listdir(directory) if os.path.isdir(directory) else []


def test_a_word_document_that_unpacks_to_300_mb_is_refused(app, client, manager, make_release):
    bomb = word_document_with(zeros(300))
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert sum(item.file_size for item in archive.infolist()) > 300 * MEGABYTE
    assert len(bomb) < 400 * 1024, "a zip bomb: a few hundred kilobytes"
    release_id = make_release(contact_id=manager)
    response = upload(client, release_id, bomb, "report.docx", title="Kept title")
    assert response.status_code == 400
    page = response.data.decode()
    assert "There is a problem" in page and 'value="Kept title"' in page
    assert "This file cannot be attached: it would unpack to over 50 MB" in page
    assert attachments(app, release_id) == [] and stored_files(app) == []


def test_a_word_document_of_too_many_files_is_refused(app, client, manager, make_release):
    def many(archive: zipfile.ZipFile) -> None:
        for n in range(1000):
            archive.writestr(f"word/media/{n}.xml", b"")

    release_id = make_release(contact_id=manager)
    response = upload(client, release_id, word_document_with(many), "report.docx")
    assert response.status_code == 400
    assert "This file cannot be attached: it holds more than 1000 files" in response.data.decode()
    assert attachments(app, release_id) == []


def test_a_word_document_that_understates_its_unpacked_size_is_refused(app, client, manager, make_release):
    data = bytearray(word_document_with(zeros(20)))
    name = b"word/media/image1.png"
    # The central directory's record of the entry: its unpacked size, 24 bytes in, now claims 1,000 bytes.
    at = next(n for n in range(len(data)) if data[n:n + 4] == b"PK\x01\x02" and data[n + 46:n + 46 + len(name)] == name)
    struct.pack_into("<I", data, at + 24, 1000)
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        assert sum(item.file_size for item in archive.infolist()) < MEGABYTE
    release_id = make_release(contact_id=manager)
    response = upload(client, release_id, bytes(data), "report.docx")
    assert response.status_code == 400
    assert "it misstates the size of what it holds" in response.data.decode()
    assert attachments(app, release_id) == []


def test_a_word_document_whose_picture_does_not_compress_is_accepted(app, client, manager, make_release):
    def picture(archive: zipfile.ZipFile) -> None:
        archive.writestr("word/media/image1.png", PNG + os.urandom(300 * 1024))

    release_id = make_release(contact_id=manager)
    assert upload(client, release_id, word_document_with(picture), "report.docx").status_code == 302
    assert [item.filename for item in attachments(app, release_id)] == ["report.docx"]
