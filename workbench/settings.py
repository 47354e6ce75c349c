"""One typed settings object shared by the CLI, notebooks and Voilà launcher.

Order of sources: explicit arguments > environment (``WORKBENCH_WORKSPACE``) > the workspace's
``workbench.yaml`` > defaults. The default workspace is the current directory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workbench.errors import WorkbenchError

ENV_WORKSPACE = "WORKBENCH_WORKSPACE"
CONFIG_FILE = "workbench.yaml"
STORE_FILE = "workbench.db"

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class Branding(BaseModel):
    """The consultancy's identity on reports and client dashboards."""

    model_config = ConfigDict(extra="forbid")

    firm: str = "Cabinet de conseil qualité"
    consultant: str | None = None
    logo: str | None = None
    """Path to a PNG/SVG logo, relative to the workspace."""
    primary_color: str = "#1f4e79"
    accent_color: str = "#c55a11"

    @field_validator("primary_color", "accent_color")
    @classmethod
    def _hex(cls, v: str) -> str:
        if not _COLOR.match(v):
            raise ValueError(f"couleur invalide {v!r} (format #RRGGBB attendu)")
        return v


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace: Path
    store_url: str | None = None
    """Store location; defaults to ``sqlite:///<workspace>/workbench.db``."""
    branding: Branding = Field(default_factory=Branding)

    @property
    def store_path(self) -> Path:
        return self.workspace / STORE_FILE

    @property
    def effective_store_url(self) -> str:
        return self.store_url or f"sqlite:///{self.store_path}"

    @property
    def reports_dir(self) -> Path:
        return self.workspace / "reports"

    def logo_path(self) -> Path | None:
        if not self.branding.logo:
            return None
        p = Path(self.branding.logo)
        return p if p.is_absolute() else self.workspace / p


def resolve_workspace(explicit: str | os.PathLike[str] | None = None) -> Path:
    raw = explicit or os.environ.get(ENV_WORKSPACE) or "."
    return Path(raw).expanduser().resolve()


def load_settings(workspace: str | os.PathLike[str] | None = None) -> Settings:
    ws = resolve_workspace(workspace)
    if ws.exists() and not ws.is_dir():
        raise WorkbenchError(f"L'espace de travail {ws} existe mais n'est pas un dossier.")
    data: dict = {}
    cfg = ws / CONFIG_FILE
    if cfg.exists():
        try:
            loaded = yaml.safe_load(cfg.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise WorkbenchError(f"Fichier de configuration illisible : {cfg} ({exc}).") from None
        if not isinstance(loaded, dict):
            raise WorkbenchError(f"Fichier de configuration invalide : {cfg} (dictionnaire attendu).")
        data = loaded
    try:
        return Settings(workspace=ws, **data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise WorkbenchError(
            f"Fichier de configuration invalide : {cfg}, champ « {where} » : {first['msg']}."
        ) from None
