"""Data shipped inside the package: referential versions, interview grids, remediation
suggestions, client templates and notebooks.

Everything is found through :mod:`importlib.resources`, so an installed wheel works the same as a
checkout. A firm adds its own files in its workspace (see :func:`workbench.core.settings` and
``docs/architecture.md`` for the override order).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: Root of the shipped data (a real directory: the package is never imported from a zip).
DATA_DIR = Path(str(files(__name__)))

REFERENTIEL_DIR = DATA_DIR / "referentiel"
GRIDS_DIR = REFERENTIEL_DIR / "grids"
REMEDIATION_DIR = REFERENTIEL_DIR / "remediation"
CLIENT_TEMPLATES_DIR = DATA_DIR / "client_templates"
NOTEBOOKS_DIR = DATA_DIR / "notebooks"


def notebook(name: str) -> Path:
    """Path of a shipped notebook, e.g. ``notebook("rapport_client.ipynb")``."""
    return NOTEBOOKS_DIR / name
