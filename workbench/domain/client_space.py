"""Pure rules of the client space: access codes, what a client may upload, how wrong codes are slowed.

No I/O here: the store (:mod:`workbench.store.client_space`) keeps codes and changes, the server
(:mod:`workbench.apps.space`) applies these rules to requests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass, field

from workbench.core.errors import UsageError
from workbench.core.vocab import LabelledEnum

# -- access codes ---------------------------------------------------------------------------

#: Letters and digits a person reads without confusion (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_GROUPS, CODE_GROUP_LEN = 4, 5
CODE_BITS = int(CODE_GROUPS * CODE_GROUP_LEN * 4.95)  # 31 symbols ~ 4.95 bits each: about 99 bits


def new_access_code() -> str:
    """A fresh random code, e.g. ``K7QPD-M3XTA-9HWRF-2NBEV`` (about 99 bits, from :mod:`secrets`)."""
    chars = [secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP_LEN)]
    return "-".join("".join(chars[i:i + CODE_GROUP_LEN]) for i in range(0, len(chars), CODE_GROUP_LEN))


def normalize_code(raw: str) -> str:
    """What the client typed, without spaces, dashes or case; '' when it cannot be a code."""
    text = "".join(ch for ch in raw.upper() if ch not in " -\t\r\n")
    if len(text) != CODE_GROUPS * CODE_GROUP_LEN or any(ch not in CODE_ALPHABET for ch in text):
        return ""
    return text


def hash_code(code: str) -> str:
    """The stored form of a code. A salted slow hash is not needed: the code is random and long
    (about 99 bits), so the hash cannot be reversed by trying codes, and it can be looked up."""
    normalized = normalize_code(code)
    if not normalized:
        raise ValueError("not an access code")
    return hashlib.sha256(f"workbench-client-access:{normalized}".encode()).hexdigest()


def parse_expiry(raw: str, today: dt.date) -> dt.date:
    """An expiry date typed by the consultant (AAAA-MM-JJ or JJ/MM/AAAA), today or later."""
    text = raw.strip()
    try:
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
            d, m, y = (int(x) for x in text.split("/"))
            day = dt.date(y, m, d)
        else:
            day = dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"date d'expiration invalide : « {raw} » (format attendu : AAAA-MM-JJ).") from None
    if day < today:
        raise UsageError(f"date d'expiration déjà passée : {day.isoformat()}.")
    return day


class AccessRefusal(LabelledEnum):
    UNKNOWN = "inconnu", "Ce code d'accès n'est pas reconnu. Vérifiez-le ou demandez-en un à votre consultant."
    REVOKED = "revoque", "Ce code d'accès a été révoqué. Demandez un nouveau code à votre consultant."
    EXPIRED = "expire", "Ce code d'accès a expiré. Demandez un nouveau code à votre consultant."

    @property
    def message(self) -> str:
        """What the client is told (the label)."""
        return self.label


# -- what the client changes ----------------------------------------------------------------

CLIENT_ACTOR = "client"
"""The author recorded in the history for everything done from the client space."""


class ChangeKind(LabelledEnum):
    ACTION_DONE = "action_faite", "Action marquée faite"
    TASK_DONE = "tache_faite", "Tâche marquée faite"
    COMMENT = "commentaire", "Commentaire"
    EVIDENCE = "preuve", "Preuve ajoutée"


class Review(LabelledEnum):
    PENDING = "en_attente", "En attente de votre consultant"
    ACCEPTED = "accepte", "Validé"
    SENT_BACK = "renvoye", "Renvoyé"


MAX_TEXT = 2000
"""Longest comment or evidence label accepted from a client, in characters."""


def clean_text(raw: str, what: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    """Client text with control characters removed (line breaks kept), length checked."""
    text = "".join(ch for ch in raw if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    if required and not text:
        raise UsageError(f"{what} est vide.")
    if len(text) > limit:
        raise UsageError(f"{what} est trop long ({len(text)} caractères, {limit} au plus).")
    return text


# -- uploads --------------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

#: Allowed file types: extension -> (French label, accepted leading bytes).
ALLOWED_UPLOADS: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("PDF", (b"%PDF-",)),
    ".png": ("image PNG", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image JPEG", (b"\xff\xd8\xff",)),
    ".jpeg": ("image JPEG", (b"\xff\xd8\xff",)),
    ".docx": ("document Word", (b"PK\x03\x04",)),
    ".xlsx": ("classeur Excel", (b"PK\x03\x04",)),
    ".odt": ("document OpenDocument", (b"PK\x03\x04",)),
    ".ods": ("classeur OpenDocument", (b"PK\x03\x04",)),
    ".txt": ("texte", ()),
    ".csv": ("tableau CSV", ()),
}


def allowed_types_text() -> str:
    return ", ".join(sorted({ext.lstrip(".").upper() for ext in ALLOWED_UPLOADS if ext != ".jpeg"}))


def safe_file_name(raw: str) -> str:
    """A file name reduced to letters, digits, dot, dash and underscore, no folder part."""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip(".-_")
    return base[:80] or "fichier"


def check_upload(name: str, content: bytes) -> str:
    """The file's safe name, or a French usage error naming what is wrong (size, type, content)."""
    if not content:
        raise UsageError("le fichier envoyé est vide.")
    if len(content) > MAX_UPLOAD_BYTES:
        raise UsageError(f"le fichier est trop volumineux ({len(content) / 1_048_576:.1f} Mo ; "
                         f"{MAX_UPLOAD_BYTES // 1_048_576} Mo au plus).")
    safe = safe_file_name(name)
    ext = ("." + safe.rsplit(".", 1)[-1].lower()) if "." in safe else ""
    if ext not in ALLOWED_UPLOADS:
        raise UsageError(f"type de fichier refusé ({ext or 'sans extension'}) ; types acceptés : "
                         f"{allowed_types_text()}.")
    label, magics = ALLOWED_UPLOADS[ext]
    if magics and not any(content.startswith(m) for m in magics):
        raise UsageError(f"le contenu du fichier ne correspond pas à son extension ({label} attendu).")
    if not magics:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            try:
                content.decode("cp1252")
            except UnicodeDecodeError:
                raise UsageError(f"le fichier n'est pas un {label} lisible.") from None
        if b"\x00" in content:
            raise UsageError(f"le fichier n'est pas un {label} lisible.")
    return safe


# -- slowing down wrong codes ---------------------------------------------------------------


@dataclass
class Throttle:
    """Failed sign-ins per source: each failure doubles the wait before the next answer; after
    ``lock_after`` failures within ``window`` the source is refused until the window has passed.

    Times are plain seconds given by the caller (``time.monotonic()`` in the server)."""

    base_delay: float = 0.5
    max_delay: float = 8.0
    lock_after: int = 10
    window: float = 15 * 60
    _failures: dict[str, list[float]] = field(default_factory=dict)

    def _recent(self, source: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(source, []) if now - t < self.window]
        if times:
            self._failures[source] = times
        else:
            self._failures.pop(source, None)
        return times

    def locked(self, source: str, now: float) -> bool:
        return len(self._recent(source, now)) >= self.lock_after

    def fail(self, source: str, now: float) -> float:
        """Record a failure; the delay to wait before answering, in seconds."""
        times = self._recent(source, now)
        times.append(now)
        self._failures[source] = times
        if len(self._failures) > 10_000:  # bound memory under a spray of sources
            oldest = min(self._failures, key=lambda s: self._failures[s][-1])
            self._failures.pop(oldest, None)
        return min(self.max_delay, self.base_delay * 2 ** (len(times) - 1))

    def failures(self, source: str, now: float) -> int:
        return len(self._recent(source, now))

    def succeed(self, source: str) -> None:
        self._failures.pop(source, None)
