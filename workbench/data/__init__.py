"""Data shipped inside the package, and the firm's own data that overrides it.

Shipped: referential versions (``referentiel/``), interview grids (``referentiel/grids/``),
remediation suggestions (``referentiel/remediation/``), client templates (``client_templates/``),
the recurring-task catalogue (``tasks/``), the session-file checklist (``session_checklist/``), the
Word report template (``word/``), the opportunity questionnaire, the public-list sample and the
notebooks (``notebooks/``), found through :mod:`importlib.resources`, so an installed wheel works
the same as a checkout.

A firm adds or replaces files in its workspace, in folders of the same names
(``<workspace>/referentiel/grids/…``, ``<workspace>/client_templates/…``, ``<workspace>/tasks/…``,
``<workspace>/session_checklist/…``), except the Word template, which goes in
``<workspace>/modeles/`` (:data:`IN_WORKSPACE`). Override order, for each file name:

1. the folder named by the ``referentiel_dir`` setting (referential kinds only);
2. the workspace folder of that kind;
3. the package's data.

A file of a higher source replaces the file of the same name below it; other files add to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.core.settings import Settings

#: Root of the shipped data (a real directory: the package is never imported from a zip).
DATA_DIR = Path(str(files(__name__)))

REFERENTIEL = "referentiel"
GRIDS = "referentiel/grids"
REMEDIATION = "referentiel/remediation"
CLIENT_TEMPLATES = "client_templates"
SESSION_CHECKLIST = "session_checklist"
WORD = "word"
IN_WORKSPACE = {WORD: "modeles"}
"""Kinds whose folder in the workspace has another name than in the package."""

REFERENTIEL_DIR = DATA_DIR / REFERENTIEL
GRIDS_DIR = DATA_DIR / GRIDS
REMEDIATION_DIR = DATA_DIR / REMEDIATION
CLIENT_TEMPLATES_DIR = DATA_DIR / CLIENT_TEMPLATES
NOTEBOOKS_DIR = DATA_DIR / "notebooks"


def notebook(name: str) -> Path:
    """Path of a shipped notebook, e.g. ``notebook("rapport_client.ipynb")``."""
    return NOTEBOOKS_DIR / name


@dataclass(frozen=True)
class DataFolders:
    """Where each kind of data is read, in override order (see the module docstring).

    ``DataFolders()`` is the package's data alone; :meth:`of` a workspace's settings adds the workspace's and the ``referentiel_dir`` setting's folders."""

    workspace: Path | None = None
    referentiel_dir: Path | None = None

    @classmethod
    def of(cls, settings: Settings) -> DataFolders:
        """The folders a workspace's settings name: its own folders, then the package's."""
        return cls(settings.workspace, settings.referentiel_dir)

    def folders(self, kind: str) -> list[Path]:
        """The existing folders of ``kind`` (e.g. ``"referentiel/grids"``), highest priority first."""
        candidates: list[Path] = []
        if self.referentiel_dir is not None and kind.split("/")[0] == REFERENTIEL:
            candidates.append(Path(self.referentiel_dir, *kind.split("/")[1:]))
        if self.workspace is not None:
            candidates.append(self.workspace / IN_WORKSPACE.get(kind, kind))
        candidates.append(DATA_DIR / kind)
        out: list[Path] = []
        seen: set[Path] = set()
        for folder in candidates:
            real = folder.resolve()
            if folder.is_dir() and real not in seen:  # the checkout's symlinks point back here
                seen.add(real)
                out.append(folder)
        return out

    def files(self, kind: str, suffix: str = ".yaml") -> dict[str, Path]:
        """File stem -> path for every file of ``kind``, a higher folder's file replacing a lower one's."""
        found: dict[str, Path] = {}
        for folder in reversed(self.folders(kind)):
            for path in folder.glob(f"*{suffix}"):
                if path.is_file():
                    found[path.name.removesuffix(suffix)] = path
        return dict(sorted(found.items()))

    def find(self, kind: str, name: str, suffix: str = ".yaml") -> Path | None:
        """The file ``name`` of ``kind`` from the highest folder that has it."""
        for folder in self.folders(kind):
            path = folder / f"{name}{suffix}"
            if path.is_file():
                return path
        return None

    def describe(self, kind: str) -> str:
        """The folders searched, for error messages (« a ; b »)."""
        return " ; ".join(str(f) for f in self.folders(kind)) or str(DATA_DIR / kind)
