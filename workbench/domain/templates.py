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

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workbench.core.errors import ProfileError, UsageError
from workbench.core.validation import describe_validation_error
from workbench.core.vocab import Category, Condition
from workbench.data import CLIENT_TEMPLATES_DIR
from workbench.domain.profile import (
    Certification,
    ClientProfile,
    FundingMix,
    NewEntrant,
    RevenueBand,
    Site,
    profile_from_data,
)

TEMPLATES_DIR = CLIENT_TEMPLATES_DIR

_NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TemplateProfile(_M):
    """The part of a :class:`~workbench.domain.profile.ClientProfile` an archetype can preset."""

    categories: list[Category] = Field(min_length=1)
    conditions: list[Condition] = Field(default_factory=list)
    new_entrant: NewEntrant = Field(default_factory=NewEntrant)
    certification: Certification = Field(default_factory=Certification)
    revenue_band: RevenueBand | None = None
    funding: FundingMix | None = None
    trainers: int | None = Field(default=None, ge=0)
    employees: int | None = Field(default=None, ge=0)
    sites: list[Site] = Field(default_factory=list)


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


def template_names(directory: Path | None = None) -> list[str]:
    directory = directory or TEMPLATES_DIR
    if not directory.is_dir():
        return []
    return sorted(p.stem for p in directory.glob("*.yaml") if _NAME_RE.fullmatch(p.stem))


def _error(path: Path, text: str, field: str | None = None) -> ProfileError:
    where = f" — champ « {field} »" if field else ""
    return ProfileError(f"Modèle de client invalide : {path}{where} : {text}.", field=field)


def load_template_file(path: Path) -> Template:
    """Load and validate one template file; every problem names the file and the field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"Modèle de client introuvable : {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"Modèle de client illisible : {path} ({exc}).") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntaxe invalide"
        raise ProfileError(
            f"Modèle de client mal formé : {path}{where} : erreur de syntaxe YAML ({problem})."
        ) from None
    if not isinstance(raw, dict):
        raise _error(path, "le fichier doit contenir un dictionnaire YAML (title, description, profile)")
    if "name" in raw:
        raise _error(path, "champ inconnu (le nom du modèle est celui du fichier)", "name")
    try:
        template = Template.model_validate({**raw, "name": path.stem})
    except ValidationError as exc:
        text, _, field = describe_validation_error(exc, raw, list_key="\0")
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


def list_templates(directory: Path | None = None) -> list[Template]:
    """Every template of the directory, sorted by name; a broken file raises a ProfileError."""
    directory = directory or TEMPLATES_DIR
    return [load_template_file(directory / f"{name}.yaml") for name in template_names(directory)]


def load_template(name: str, directory: Path | None = None) -> Template:
    """The template called ``name``; an unknown name lists the available ones."""
    directory = directory or TEMPLATES_DIR
    _check_name(name)
    path = directory / f"{name}.yaml"
    if not path.is_file():
        known = template_names(directory)
        hint = f"Modèles disponibles : {', '.join(known)}." if known else f"Aucun modèle dans {directory}."
        raise UsageError(f"modèle de client inconnu : « {name} ». {hint}")
    return load_template_file(path)


def profile_from_template(template: Template, client_id: str, name: str, **overrides: Any) -> ClientProfile:
    """A validated profile from a template; ``overrides`` set or replace profile fields.

    Overrides set to ``None`` are ignored, so CLI options left out keep the template's values.
    """
    data: dict[str, Any] = template.profile.model_dump(mode="json", exclude_unset=True)
    data.update({k: v for k, v in overrides.items() if v is not None})
    data.update(id=client_id, name=name, template=template.name)
    return profile_from_data(data, f"Profil du client « {client_id} » (modèle {template.name})")
