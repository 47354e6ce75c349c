"""Where Jupyter's shared data (nbconvert and Voilà templates) is, also from a virtual environment.

A virtual environment created with ``--system-site-packages`` borrows the base interpreter's
libraries, but Jupyter only searches the environment's own ``share/jupyter``: the templates that
came with the borrowed nbconvert and Voilà are then not found. The base interpreter's folder is
added explicitly, for the report export (in process) and for the Voilà servers (``JUPYTER_PATH``).
"""

from __future__ import annotations

import sys
from pathlib import Path


def base_jupyter_dirs() -> list[Path]:
    """The base interpreter's ``share/jupyter`` when running in a virtual environment (else none)."""
    folder = Path(sys.base_prefix) / "share" / "jupyter"
    return [folder] if sys.base_prefix != sys.prefix and folder.is_dir() else []
