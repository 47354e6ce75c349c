"""Client templates: partial profiles for the archetypes a consultant meets.

Each template is one YAML file of ``client_templates/`` (its name is the file name without
``.yaml``) holding a French title and description, a partial profile (what the archetype does:
categories, conditions, size...) and hints of what to check for that kind of provider. Identity
fields (id, raison sociale, SIRET, NDA, address, contact, consultant) never come from a template.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from workbench.core.errors import ProfileError, UsageError
from workbench.core.validation import describe_validation_error, read_yaml
from workbench.data import CLIENT_TEMPLATES, CLIENT_TEMPLATES_DIR, DataFolders
from workbench.domain.profile import (
    ClientProfile,
    profile_from_data,
)

TEMPLATES_DIR = CLIENT_TEMPLATES_DIR

_NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: The fields of a client profile an archetype can preset (what the provider does, not who it is).
PRESET_FIELDS = ("categories", "conditions", "new_entrant", "certification", "revenue_band", "funding",
                 "trainers", "employees", "sites")

TemplateProfile = create_model(
    "TemplateProfile", __base__=_M, __doc__="The part of a client profile an archetype can preset.",
    **{name: (ClientProfile.model_fields[name].annotation, ClientProfile.model_fields[name])
       for name in PRESET_FIELDS},
)
"""The preset fields, declared once in :class:`~workbench.domain.profile.ClientProfile` (same types,
defaults and constraints)."""


class Template(_M):
    name: str
    """The file name without ``.yaml``; never written in the file itself."""
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    profile: TemplateProfile
    min_sites: int = Field(default=0, ge=0)
    """Sites the archetype needs (multi-site networks); reported as missing until listed."""
    to_complete: list[str] = Field(default_factory=list)
    """French hints of what to check or fill in for this archetype."""

    def remaining(self, profile: ClientProfile) -> list[str]:
        """What remains to fill in: the profile's missing fields plus the archetype's needs."""
        missing = profile.missing_fields()
        if self.min_sites and len(profile.sites) < self.min_sites:
            missing.append(
                f"sites (au moins {self.min_sites}, avec adresse, effectif permanent et fonction centrale)"
            )
        return missing


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise UsageError(
            f"nom de modèle invalide : « {name} » (minuscules, chiffres et tirets uniquement, "
            "sans chemin ; voir « workbench client templates »)."
        )
    return name


Source = Path | DataFolders | None
"""A folder of templates, or folders in override order (the firm's workspace, then the package)."""


def _template_files(source: Source) -> dict[str, Path]:
    if isinstance(source, Path):
        files = {p.stem: p for p in source.glob("*.yaml")} if source.is_dir() else {}
    else:
        files = (source or DataFolders()).files(CLIENT_TEMPLATES)
    return {name: path for name, path in sorted(files.items()) if _NAME_RE.fullmatch(name)}


def template_names(source: Source = None) -> list[str]:
    return list(_template_files(source))


def _error(path: Path, text: str, field: str | None = None) -> ProfileError:
    where = f" — champ « {field} »" if field else ""
    return ProfileError(f"Modèle de client invalide : {path}{where} : {text}.", field=field)


def load_template_file(path: Path) -> Template:
    """Load and validate one template file; every problem names the file and the field."""
    path = Path(path)
    raw = read_yaml(path, "Modèle de client", ProfileError)
    if not isinstance(raw, dict):
        raise _error(path, "le fichier doit contenir un dictionnaire YAML (title, description, profile)")
    if "name" in raw:
        raise _error(path, "champ inconnu (le nom du modèle est celui du fichier)", "name")
    try:
        template = Template.model_validate({**raw, "name": path.stem})
    except ValidationError as exc:
        text, _, field = describe_validation_error(exc, raw, list_key=None)
        raise _error(path, text, field) from None
    # Cross-field rules (new-entrant or certified categories outside the scope...) live in the
    # profile model: build a trial profile so that a broken template fails here, not later.
    try:
        profile_from_template(template, "verification-modele", "Vérification du modèle")
    except ProfileError as exc:
        field = f"profile.{exc.field}" if exc.field else "profile"
        detail = exc.message.split(" : ", 1)[-1].rstrip(".")
        raise _error(path, detail, field) from None
    return template


def list_templates(source: Source = None) -> list[Template]:
    """Every template, sorted by name; a broken file raises a ProfileError."""
    return [load_template_file(path) for path in _template_files(source).values()]


def load_template(name: str, source: Source = None) -> Template:
    """The template called ``name``; an unknown name lists the available ones."""
    _check_name(name)
    files = _template_files(source)
    if name not in files:
        where = source if isinstance(source, Path) else (source or DataFolders()).describe(CLIENT_TEMPLATES)
        hint = f"Modèles disponibles : {', '.join(files)}." if files else f"Aucun modèle dans {where}."
        raise UsageError(f"modèle de client inconnu : « {name} ». {hint}")
    return load_template_file(files[name])


def profile_from_template(template: Template, client_id: str, name: str, **overrides: Any) -> ClientProfile:
    """A validated profile from a template; ``overrides`` set or replace profile fields.

    Overrides set to ``None`` are ignored, so CLI options left out keep the template's values.
    """
    data: dict[str, Any] = template.profile.model_dump(mode="json", exclude_unset=True)
    data.update({k: v for k, v in overrides.items() if v is not None})
    data.update(id=client_id, name=name, template=template.name)
    return profile_from_data(data, f"Profil du client « {client_id} » (modèle {template.name})")
