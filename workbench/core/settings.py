"""One typed settings object shared by the CLI, notebooks and Voilà launcher.

Order of sources: explicit arguments > environment (``WORKBENCH_WORKSPACE``) > the workspace's
``workbench.yaml`` > defaults. The default workspace is the current directory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workbench.core.errors import ConfigError

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


class OpportunityRates(BaseModel):
    """Rates used by the opportunity assessment's cost estimate (euros, excl. VAT)."""

    model_config = ConfigDict(extra="forbid")

    auditor_day_rate: float = Field(default=1100, gt=0)
    """Certifier's price per audit day (practitioners report 1 500 to 2 000 € for 1.5 audit days)."""
    internal_day_cost: float = Field(default=350, ge=0)
    """Value of one day of the provider's internal time."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace: Path
    store_url: str | None = None
    """Store location; defaults to ``sqlite:///<workspace>/workbench.db``."""
    branding: Branding = Field(default_factory=Branding)
    opportunity: OpportunityRates = Field(default_factory=OpportunityRates)
    bundle_signing_key: str | None = Field(default=None, repr=False)
    """The firm's secret for signing client bundles (HMAC-SHA256), the same in each of its workspaces."""

    @field_validator("bundle_signing_key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        if v is not None and len(v.strip()) < 32:
            raise ValueError("clé de signature trop courte (32 caractères au moins ; par exemple la sortie de "
                             "« python3 -c 'import secrets; print(secrets.token_hex(32))' »)")
        return v.strip() if v else v

    @property
    def store_path(self) -> Path | None:
        """The store's SQLite file (None for another back end); relative paths are workspace-relative."""
        if self.store_url is None:
            return self.workspace / STORE_FILE
        scheme, _, rest = self.store_url.partition("://")
        if scheme != "sqlite":
            return None
        path = Path(rest[1:] if rest.startswith("/") else rest)  # sqlite:///rel, sqlite:////abs
        return path if path.is_absolute() else self.workspace / path

    @property
    def effective_store_url(self) -> str:
        path = self.store_path
        return f"sqlite:///{path}" if path is not None else str(self.store_url)

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
        raise ConfigError(f"L'espace de travail {ws} existe mais n'est pas un dossier.")
    data: dict = {}
    cfg = ws / CONFIG_FILE
    if cfg.exists():
        from workbench.core.errors import ReferentialError
        from workbench.core.validation import describe_validation_error, read_yaml

        try:
            loaded = read_yaml(cfg, "Fichier de configuration")
        except ReferentialError as exc:
            raise ConfigError(exc.message) from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"Fichier de configuration invalide : {cfg} (dictionnaire YAML attendu).")
        if "workspace" in loaded:
            raise ConfigError(
                f"Fichier de configuration invalide : {cfg} — champ « workspace » non permis : "
                "l'espace de travail est le dossier qui contient ce fichier."
            )
        data = loaded
    try:
        return Settings(workspace=ws, **data)
    except ValidationError as exc:
        text, _, field = describe_validation_error(exc, data, list_key="\0")
        where = f" — champ « {field} »" if field else ""
        raise ConfigError(f"Fichier de configuration invalide : {cfg}{where} : {text}.") from None
