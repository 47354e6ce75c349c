"""One typed settings object shared by the CLI, the notebooks and the Voilà launchers.

Sources, highest priority first (see ``docs/architecture.md``):

1. explicit arguments: ``load_settings(workspace, debug=…)`` from a CLI option, a launcher or a
   notebook parameter;
2. the environment: ``WORKBENCH_WORKSPACE``, ``WORKBENCH_STORE_URL``, ``WORKBENCH_REFERENTIEL_DIR``,
   ``WORKBENCH_DEBUG``, ``CHROMIUM_PATH`` (or ``WORKBENCH_CHROMIUM_PATH``);
3. the workspace file ``workbench.yaml`` (in the workspace folder);
4. the defaults below (the workspace defaults to the current directory).

Nothing else in the package reads these variables: every module receives a :class:`Settings`.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from workbench.core.errors import ConfigError, ReferentialError

ENV_PREFIX = "WORKBENCH_"
ENV_WORKSPACE = "WORKBENCH_WORKSPACE"
CONFIG_FILE = "workbench.yaml"
STORE_FILE = "workbench.db"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

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


def default_identity_warning(branding: Branding) -> str | None:
    """The warning printed with a report made under the default identity (None for a firm's own)."""
    if branding != Branding():
        return None
    return (f"Attention : identité du cabinet par défaut (« {branding.firm} ») sur ce rapport. Renseignez la "
            "vôtre : workbench settings set --firm … --consultant … --logo …")


class OpportunityRates(BaseModel):
    """Rates used by the opportunity assessment's cost estimate (euros, excl. VAT)."""

    model_config = ConfigDict(extra="forbid")

    auditor_day_rate: float = Field(default=1100, gt=0)
    """Certifier's price per audit day (practitioners report 1 500 to 2 000 € for 1.5 audit days)."""
    internal_day_cost: float = Field(default=350, ge=0)
    """Value of one day of the provider's internal time."""


class Settings(BaseSettings):
    """Where the data lives and how the tool behaves; see the module docstring for the source order."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", populate_by_name=True)

    workspace: Path = Path(".")
    """The consultant's workspace folder (clients, missions, reports, the firm's own data)."""
    store_url: str | None = None
    """Store location; defaults to ``sqlite:///<workspace>/workbench.db``; relative to the workspace."""
    branding: Branding = Field(default_factory=Branding)
    opportunity: OpportunityRates = Field(default_factory=OpportunityRates)
    bundle_signing_key: str | None = Field(default=None, repr=False)
    """The firm's secret for signing client bundles (HMAC-SHA256), the same in each of its workspaces."""
    referentiel_dir: Path | None = None
    """A folder of referential files that replaces the shipped versions (and the workspace's)."""
    debug: bool = False
    """Show technical details (tracebacks) on unexpected errors."""
    busy_timeout_s: float = Field(default=30.0, ge=0)
    """Seconds a write waits for another process holding the store's lock before giving up."""
    chromium_path: Path | None = Field(
        default=None, validation_alias=AliasChoices("chromium_path", "WORKBENCH_CHROMIUM_PATH", "CHROMIUM_PATH"))
    """The Chromium used to print PDFs; found among the usual places when not given."""

    @field_validator("workspace")
    @classmethod
    def _absolute(cls, v: Path) -> Path:
        return Path(v).expanduser().resolve()

    @field_validator("bundle_signing_key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        if v is not None and len(v.strip()) < 32:
            raise ValueError("clé de signature trop courte (32 caractères au moins ; par exemple la sortie de "
                             "« python3 -c 'import secrets; print(secrets.token_hex(32))' »)")
        return v.strip() if v else v

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple:
        return init_settings, env_settings, WorkspaceFileSource(settings_cls, init_settings, env_settings)

    # -- derived paths ------------------------------------------------------------------------
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

    def chromium(self) -> Path | None:
        """The configured Chromium, else the first one found on this machine (None if there is none)."""
        found = shutil.which("chromium")
        for candidate in (self.chromium_path, *CHROMIUM_CANDIDATES, found):
            if candidate and Path(candidate).exists():
                return Path(candidate)
        return None

    def environment(self) -> dict[str, str]:
        """These settings as environment variables, for a child process (a kernel, a Voilà server)."""
        env = {ENV_WORKSPACE: str(self.workspace)}
        if self.store_url is not None:
            env[f"{ENV_PREFIX}STORE_URL"] = self.store_url
        if self.referentiel_dir is not None:
            env[f"{ENV_PREFIX}REFERENTIEL_DIR"] = str(self.referentiel_dir)
        if self.chromium_path is not None:
            env["CHROMIUM_PATH"] = str(self.chromium_path)
        if self.debug:
            env[f"{ENV_PREFIX}DEBUG"] = "1"
        if self.busy_timeout_s != Settings.model_fields["busy_timeout_s"].default:
            env[f"{ENV_PREFIX}BUSY_TIMEOUT_S"] = str(self.busy_timeout_s)
        return env


class WorkspaceFileSource(PydanticBaseSettingsSource):
    """``workbench.yaml`` in the workspace named by the arguments or the environment (else ``.``)."""

    def __init__(self, settings_cls: type[BaseSettings], init: PydanticBaseSettingsSource,
                 env: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self._init, self._env = init, env

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False  # everything is read at once in __call__

    def workspace(self) -> Path:
        raw = self._init().get("workspace") or self._env().get("workspace") or "."
        return Path(raw).expanduser().resolve()

    def __call__(self) -> dict[str, Any]:
        from workbench.core.validation import read_yaml

        ws = self.workspace()
        if ws.exists() and not ws.is_dir():
            raise ConfigError(f"L'espace de travail {ws} existe mais n'est pas un dossier.")
        cfg = ws / CONFIG_FILE
        if not cfg.exists():
            return {}
        try:
            loaded = read_yaml(cfg, "Fichier de configuration")
        except ReferentialError as exc:
            raise ConfigError(exc.message) from None
        if loaded is None:
            return {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"Fichier de configuration invalide : {cfg} (dictionnaire YAML attendu).")
        if "workspace" in loaded:
            raise ConfigError(
                f"Fichier de configuration invalide : {cfg} — champ « workspace » non permis : "
                "l'espace de travail est le dossier qui contient ce fichier."
            )
        return loaded


def load_settings(workspace: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """The settings for ``workspace`` (an explicit argument; None: environment, then ``.``).

    ``overrides`` are other explicit arguments (``debug=True``…); None values are ignored. Any bad
    value is reported in French, naming where it came from."""
    explicit = {k: v for k, v in {"workspace": workspace, **overrides}.items() if v is not None}
    try:
        return Settings(**explicit)
    except ValidationError as exc:
        raise _settings_error(exc, explicit) from None


def _settings_error(exc: ValidationError, explicit: dict[str, Any]) -> ConfigError:
    from workbench.core.validation import describe_validation_error

    first = exc.errors()[0]
    top = str(first.get("loc", ("",))[0])
    text, _, field = describe_validation_error(exc)
    if top in explicit:
        return ConfigError(f"Paramètre « {field or top} » invalide : {text}.")
    env = EnvSettingsSource(Settings)()
    if top in env or top in ("chromium_path", "CHROMIUM_PATH", "WORKBENCH_CHROMIUM_PATH") and "chromium_path" in env:
        name = "CHROMIUM_PATH" if top == "chromium_path" else f"{ENV_PREFIX}{top.upper()}"
        return ConfigError(f"Variable d'environnement {name} invalide : {text}.")
    cfg = WorkspaceFileSource(Settings, InitSettingsSource(Settings, explicit), EnvSettingsSource(Settings))
    where = f" — champ « {field} »" if field else ""
    return ConfigError(f"Fichier de configuration invalide : {cfg.workspace() / CONFIG_FILE}{where} : {text}.")


def resolve_workspace(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The workspace folder alone (argument > environment > current directory), without reading
    its ``workbench.yaml``."""
    raw = explicit or EnvSettingsSource(Settings)().get("workspace") or "."
    return Path(raw).expanduser().resolve()
