"""Reading YAML files and turning pydantic errors into French messages, for every data file
(referential, grids, remediation, client templates, settings, task catalogues…)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from workbench.core.errors import ReferentialError, WorkbenchError

_PYDANTIC_FR = {
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "champ inconnu (non prévu par le schéma)",
    "enum": "valeur non permise",
    "literal_error": "valeur non permise",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "bool_parsing": "booléen attendu (true / false)",
    "bool_type": "booléen attendu (true / false)",
    "string_type": "texte attendu",
    "string_too_short": "texte vide",
    "too_short": "liste vide ou trop courte",
    "date_from_datetime_parsing": "date invalide (format AAAA-MM-JJ attendu)",
    "date_parsing": "date invalide (format AAAA-MM-JJ attendu)",
    "date_type": "date attendue (AAAA-MM-JJ)",
    "greater_than_equal": "valeur trop petite",
    "less_than_equal": "valeur trop grande",
    "dict_type": "dictionnaire attendu",
    "list_type": "liste attendue",
    "tuple_type": "liste attendue",
    "model_type": "objet attendu",
    "value_error": "valeur incohérente",
}


def describe_error(error: Mapping[str, Any]) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) in French."""
    kind = error.get("type", "")
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    text = _PYDANTIC_FR.get(kind, error.get("msg", "valeur invalide"))
    if kind == "enum":
        expected = error.get("ctx", {}).get("expected")
        return text + f" : {error.get('input')!r}" + (f" (attendu : {expected})" if expected else "")
    if kind != "missing" and not isinstance(error.get("input"), dict | list):
        text += f" : {error.get('input')!r}"
    return text


def describe_validation_error(
    err: ValidationError, raw: Any = None, *, list_key: str | None = "indicators"
) -> tuple[str, str | None, str | None]:
    """The first pydantic error as (French text, indicator label, dotted field).

    When the error is inside ``raw[list_key]`` (a list of indicators, or a mapping keyed by
    indicator id), the indicator is named separately and the field is relative to it."""
    first = err.errors()[0]
    loc = list(first.get("loc", ()))
    indicator = None
    if list_key is not None and len(loc) >= 2 and loc[0] == list_key:
        key = loc[1]
        if isinstance(key, int):
            try:
                item = raw[list_key][key]
                ref = item.get("number", key + 1) if isinstance(item, dict) else key + 1
                ident = item.get("id") if isinstance(item, dict) else None
            except (KeyError, IndexError, TypeError, AttributeError):
                ref, ident = key + 1, None
            indicator = f"{ref}" + (f" ({ident})" if ident else "")
        else:
            indicator = str(key)
        loc = loc[2:]
    field = ".".join(str(p) for p in loc) or None
    text = describe_error(first)
    more = len(err.errors()) - 1
    if more:
        text += f" (et {more} autre(s) erreur(s))"
    return text, indicator, field


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path, what: str, error: type[WorkbenchError] = ReferentialError) -> Any:
    """Read a YAML file (with libyaml when present), turning every I/O or syntax problem into a
    French ``error`` (a :class:`ReferentialError` unless the caller's layer has its own)."""
    extra = {"path": str(path)} if error is ReferentialError else {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{what} introuvable : {path}", **extra) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{what} illisible : {path} ({exc})", **extra) from None
    try:
        return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader (C if available)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntaxe invalide"
        raise error(f"{what} mal formé : {path}{where} : erreur de syntaxe YAML ({problem}).", **extra) from None


def data_error(what: str, path: Path, text: str, indicator: str | None = None,
               field: str | None = None) -> ReferentialError:
    """« <what> invalide : <file> — indicateur N — champ « x » : <text>. »"""
    parts = [f"{what} invalide : {path}"]
    if indicator:
        parts.append(f"indicateur {indicator}")
    if field:
        parts.append(f"champ « {field} »")
    return ReferentialError(" — ".join(parts) + f" : {text}.", path=str(path), indicator=indicator, field=field)


_ModelT = TypeVar("_ModelT", bound=BaseModel)


def load_yaml_model(model: type[_ModelT], path: Path, what: str) -> _ModelT:
    """Read a YAML file and validate it into ``model``; any problem names file, indicator, field."""
    raw = read_yaml(path, f"Fichier « {what} »")
    if not isinstance(raw, dict):
        raise data_error(what, path, "le fichier doit contenir un dictionnaire YAML")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        text, indicator, field = describe_validation_error(exc, raw)
        raise data_error(what, path, text, indicator, field) from None


