"""What a file really is, from its first bytes (never from its name), for files users attach."""

from __future__ import annotations

import io
import zipfile

#: media type -> (French label, usual extensions)
ALLOWED = {
    "application/pdf": ("PDF", (".pdf",)),
    "image/png": ("image PNG", (".png",)),
    "image/jpeg": ("image JPEG", (".jpg", ".jpeg")),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("document Word", (".docx",)),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("classeur Excel", (".xlsx",)),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("présentation PowerPoint", (".pptx",)),
    "application/vnd.oasis.opendocument.text": ("document OpenDocument", (".odt",)),
    "application/vnd.oasis.opendocument.spreadsheet": ("classeur OpenDocument", (".ods",)),
    "text/plain": ("texte", (".txt", ".csv", ".md")),
}

_OOXML = {"word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}


def sniff(content: bytes) -> str | None:
    """The media type of ``content`` when it is one of :data:`ALLOWED`, else None."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as z:
                names = z.namelist()
                if "mimetype" in names:
                    kind = z.read("mimetype").decode("ascii", "replace").strip()
                    return kind if kind in ALLOWED else None
                for prefix, kind in _OOXML.items():
                    if "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names):
                        return kind
        except (zipfile.BadZipFile, OSError, KeyError):
            return None
        return None
    if b"\x00" in content[:8192]:
        return None
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"


def allowed_labels() -> str:
    return ", ".join(label for label, _ in ALLOWED.values())
