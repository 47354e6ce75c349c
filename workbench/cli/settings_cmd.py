"""``workbench settings show|set``: the firm's identity on reports and dashboards, without editing YAML.

Writes the ``branding`` block of the workspace's ``workbench.yaml`` (other keys kept), atomically,
after checking every value (colours #RRGGBB, logo file present and an image).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml
from pydantic import ValidationError

from workbench.cli.common import print_json, settings_from
from workbench.core.errors import ConfigError, UsageError
from workbench.core.files import write_atomically
from workbench.core.settings import CONFIG_FILE, Branding
from workbench.core.validation import describe_validation_error, read_yaml

FIELDS = (("firm", "--firm", "NOM", "nom du cabinet"), ("consultant", "--consultant", "NOM", "consultant signataire"),
          ("logo", "--logo", "FICHIER", "logo (PNG, JPEG ou SVG), chemin relatif à l'espace de travail ou absolu"),
          ("primary_color", "--primary-color", "#RRGGBB", "couleur principale"),
          ("accent_color", "--accent-color", "#RRGGBB", "couleur d'accent"))
LABELS = {"firm": "Cabinet", "consultant": "Consultant", "logo": "Logo", "primary_color": "Couleur principale",
          "accent_color": "Couleur d'accent"}
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".gif")


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("settings", help="identité du cabinet (nom, consultant, logo, couleurs)")
    ssub = p.add_subparsers(dest="settings_command", metavar="SOUS-COMMANDE", parser_class=type(p))
    ssub.required = True
    sp = ssub.add_parser("show", parents=[parent], help="afficher l'identité du cabinet")
    sp.add_argument("--json", action="store_true", help="sortie JSON")
    sp.set_defaults(func=cmd_show)
    st = ssub.add_parser("set", parents=[parent], help="modifier l'identité du cabinet")
    for _, flag, meta, text in FIELDS:
        st.add_argument(flag, metavar=meta, help=text)
    st.set_defaults(func=cmd_set)


def cmd_show(args: argparse.Namespace) -> int:
    branding = settings_from(args).branding
    if args.json:
        print_json(branding.model_dump() | {"default": branding == Branding()})
        return 0
    for key, label in LABELS.items():
        print(f"{label:<20} {getattr(branding, key) or '—'}")
    if branding == Branding():
        print("(identité par défaut : workbench settings set --firm … pour la vôtre)")
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    changes = {key: getattr(args, key) for key, *_ in FIELDS if getattr(args, key) is not None}
    if not changes:
        raise UsageError("rien à modifier : indiquez --firm, --consultant, --logo, --primary-color ou --accent-color.")
    if changes.get("logo"):
        logo = Path(changes["logo"])
        full = logo if logo.is_absolute() else settings.workspace / logo
        if not full.is_file():
            raise UsageError(f"logo introuvable : {full}. Rien n'a été modifié.")
        if full.suffix.lower() not in LOGO_SUFFIXES:
            raise UsageError(f"logo {full.name} : format non géré (PNG, JPEG, SVG ou GIF). Rien n'a été modifié.")
    merged = settings.branding.model_dump() | {k: (v or None) if k in ("consultant", "logo") else v
                                              for k, v in changes.items()}
    try:
        branding = Branding.model_validate(merged)
    except ValidationError as exc:
        text, _, field = describe_validation_error(exc, merged, list_key=None)
        raise UsageError(f"valeur refusée pour « {LABELS.get(field, field)} » : {text}. Rien n'a été modifié.") from None
    path = settings.workspace / CONFIG_FILE
    data = (read_yaml(path, "Fichier de configuration", ConfigError) if path.exists() else None) or {}
    data["branding"] = {k: v for k, v in branding.model_dump().items() if v is not None}
    settings.workspace.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda t: t.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                                  encoding="utf-8"), overwrite=True)
    print(f"Identité du cabinet enregistrée dans {path} :")
    for key in changes:
        print(f"  {LABELS[key]} : {getattr(branding, key) or '—'}")
    return 0
