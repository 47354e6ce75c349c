"""The firm's logo: an image file inside the workspace, checked before it is embedded anywhere.

``branding.logo`` names a file that ends up inlined (data URI) in every client's report and
dashboard. It is therefore accepted only when it is a regular file inside the workspace (after
following links), no larger than :data:`MAX_LOGO_BYTES`, whose CONTENT is a PNG, JPEG or GIF
image or a plain SVG drawing (no script, no DOCTYPE or entity). Anything else — the database, a
system file, a huge file, a renamed document — is refused with a French :class:`ConfigError`.
"""

from __future__ import annotations

import base64
import os
import re
import stat
from pathlib import Path

from workbench.core.errors import ConfigError
from workbench.core.settings import CONFIG_FILE, Settings

MAX_LOGO_BYTES = 512 * 1024
"""A logo is a small image; half a megabyte is plenty and keeps reports light."""

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_SVG_START = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*<svg[\s>]", re.DOTALL)
_SVG_FORBIDDEN = re.compile(r"<!DOCTYPE|<!ENTITY|<script|<foreignObject|javascript:|\son\w+\s*=", re.IGNORECASE)


def _refuse(settings: Settings, why: str) -> ConfigError:
    return ConfigError(
        f"Logo refusé (branding.logo = « {settings.branding.logo} » dans {settings.workspace / CONFIG_FILE}) : "
        f"{why}. Le logo doit être une image PNG, JPEG, GIF ou SVG de {MAX_LOGO_BYTES // 1024} Ko au plus, "
        "placée dans l'espace de travail (par exemple branding/logo.png). Rien n'a été produit."
    )


def sniff_image(blob: bytes) -> str | None:
    """The image type of ``blob`` judged from its content, or None when it is not an accepted image."""
    for magic, mime in _SIGNATURES:
        if blob.startswith(magic):
            return mime
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if _SVG_START.match(text) and "</svg>" in text and not _SVG_FORBIDDEN.search(text):
        return "image/svg+xml"
    return None


def load_logo(settings: Settings) -> tuple[str, bytes] | None:
    """(MIME type, bytes) of the configured logo, None when there is none; refuses a bad one."""
    raw = settings.branding.logo
    if not raw:
        return None
    root = settings.workspace.resolve()
    candidate = Path(raw).expanduser()
    candidate = candidate if candidate.is_absolute() else settings.workspace / candidate
    real = Path(os.path.realpath(candidate))
    if root not in real.parents:
        raise _refuse(settings, f"le fichier {real} est hors de l'espace de travail {root}")
    try:
        st = os.stat(real)
    except FileNotFoundError:
        raise _refuse(settings, f"fichier introuvable : {candidate}") from None
    except OSError as exc:
        raise _refuse(settings, f"fichier illisible : {candidate} ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(settings, f"{candidate} n'est pas un fichier ordinaire")
    if st.st_size > MAX_LOGO_BYTES:
        raise _refuse(settings, f"fichier de {st.st_size // 1024} Ko, trop volumineux")
    store = settings.store_path
    if store is not None and os.path.exists(store) and os.path.samefile(real, store):
        raise _refuse(settings, "c'est la base de données de l'espace de travail")
    try:
        with open(real, "rb") as fh:
            blob = fh.read(MAX_LOGO_BYTES + 1)
    except OSError as exc:
        raise _refuse(settings, f"fichier illisible : {candidate} ({exc.strerror})") from None
    if len(blob) > MAX_LOGO_BYTES:
        raise _refuse(settings, "fichier trop volumineux")
    mime = sniff_image(blob)
    if mime is None:
        raise _refuse(settings, "son contenu n'est pas une image PNG, JPEG, GIF ou un dessin SVG sans script")
    return mime, blob


def logo_data_uri(settings: Settings) -> str | None:
    """The checked logo as a ``data:`` URI (reports and dashboards work offline), or None."""
    logo = load_logo(settings)
    if logo is None:
        return None
    mime, blob = logo
    return f"data:{mime};base64,{base64.b64encode(blob).decode('ascii')}"
