"""Files attached to evidence items, kept in the workspace under the client's own folder.

``<workspace>/clients/<client>/preuves/<sha256 prefix>-<safe name>``: the type is checked on the
content (:mod:`workbench.core.filetypes`), the size is limited, the SHA-256 is recorded, a file is
written whole (temporary file then rename) and an existing file is never replaced.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import UsageError
from workbench.core.files import write_atomically
from workbench.core.filetypes import ALLOWED, allowed_labels, sniff
from workbench.domain.profile import validate_client_id
from workbench.domain.records import now
from workbench.store.sqlite import SQLiteStore

MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class EvidenceFile:
    evidence_id: int
    original_name: str
    stored_path: str
    """Relative to the workspace folder."""
    media_type: str
    size: int
    sha256: str

    @property
    def kind_label(self) -> str:
        return ALLOWED.get(self.media_type, (self.media_type, ()))[0]

    @property
    def size_label(self) -> str:
        return f"{self.size / 1024:.0f} Ko" if self.size < 1024 * 1024 else f"{self.size / 1048576:.1f} Mo"


def safe_name(name: str) -> str:
    """A file name without folders, control characters or anything a shell or a path would read."""
    base = Path(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip(".-")
    return base[:80] or "fichier"


def client_folder(workspace: Path, client_id: str) -> Path:
    return workspace / "clients" / validate_client_id(client_id) / "preuves"


def check_file(name: str, content: bytes) -> str:
    """The media type of an attachment, or a French refusal naming the reason."""
    if not content:
        raise UsageError(f"Le fichier « {name} » est vide ; rien n'a été joint.")
    if len(content) > MAX_BYTES:
        raise UsageError(f"Le fichier « {name} » dépasse la taille permise ({len(content) / 1048576:.1f} Mo "
                         f"pour {MAX_BYTES // 1048576} Mo au plus) ; rien n'a été joint.")
    kind = sniff(content)
    if kind is None:
        raise UsageError(f"Type de fichier non accepté pour « {name} » (d'après son contenu). "
                         f"Types acceptés : {allowed_labels()}.")
    return kind


def attach(store: SQLiteStore, workspace: Path, evidence_id: int, client_id: str, name: str,
           content: bytes) -> EvidenceFile:
    """Copy ``content`` under the client's folder and link it to the evidence item."""
    kind = check_file(name, content)
    digest = hashlib.sha256(content).hexdigest()
    folder = client_folder(workspace, client_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest[:16]}-{safe_name(name)}"
    if not target.exists():  # same content already kept: reuse it
        write_atomically(target, lambda tmp: tmp.write_bytes(content), overwrite=False)
    elif hashlib.sha256(target.read_bytes()).hexdigest() != digest:
        raise UsageError(f"Un autre fichier porte déjà le nom {target} ; rien n'a été remplacé.")
    rel = target.relative_to(workspace).as_posix()
    with store.transaction() as c:
        c.execute("INSERT INTO evidence_files VALUES (?,?,?,?,?,?,?,?,?)",
                  (evidence_id, client_id, name, rel, kind, len(content), digest, now().isoformat(), store.actor))
    return EvidenceFile(evidence_id, name, rel, kind, len(content), digest)


def files_by_evidence(store: SQLiteStore, evidence_ids: list[int]) -> dict[int, EvidenceFile]:
    if not evidence_ids:
        return {}
    marks = ",".join("?" * len(evidence_ids))
    rows = store.connection.execute(
        f"SELECT * FROM evidence_files WHERE evidence_id IN ({marks})", evidence_ids).fetchall()  # noqa: S608
    return {r["evidence_id"]: EvidenceFile(r["evidence_id"], r["original_name"], r["stored_path"],
                                           r["media_type"], r["size"], r["sha256"]) for r in rows}
