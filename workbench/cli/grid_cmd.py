"""``workbench grid CLIENT``: the printable blank interview grid of a mission."""

from __future__ import annotations

import argparse

from workbench.cli.common import open_workspace
from workbench.core.errors import UsageError
from workbench.core.vocab import Role
from workbench.domain.profile import validate_client_id

ROLE_CHOICES = {r.value: r for r in Role}


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    gp = sub.add_parser("grid", parents=[parent],
                        help="imprimer la grille d'entretien vierge d'une mission (par interlocuteur)")
    gp.add_argument("client", metavar="CLIENT", help="identifiant du client")
    gp.add_argument("--mission", metavar="ID", help="mission (défaut : la dernière du client)")
    gp.add_argument("--role", action="append", metavar="RÔLE",
                    help=f"interlocuteur(s) à inclure (répétable ; défaut : tous) : {', '.join(ROLE_CHOICES)}")
    gp.add_argument("--formats", default="html,pdf", metavar="html,pdf",
                    help="formats à produire (défaut : html,pdf)")
    gp.set_defaults(func=cmd_grid)


def cmd_grid(args: argparse.Namespace) -> int:
    from workbench.reports.interview_grid import print_grid

    validate_client_id(args.client)
    formats = [f.strip().lower() for f in args.formats.split(",") if f.strip()]
    bad = [f for f in formats if f not in ("html", "pdf")]
    if bad or not formats:
        raise UsageError(f"format invalide : « {', '.join(bad) or args.formats} » (possibles : html, pdf).")
    roles = None
    if args.role:
        unknown = [r for r in args.role if r not in ROLE_CHOICES]
        if unknown:
            raise UsageError(f"interlocuteur inconnu : « {unknown[0]} » (possibles : {', '.join(ROLE_CHOICES)}).")
        roles = [ROLE_CHOICES[r] for r in args.role]
    with open_workspace(args) as ws:
        mission = ws.resolve_mission(args.client, args.mission)
        result = print_grid(ws, mission.id, formats=formats, roles=roles)
    print(f"Grille d'entretien vierge : {result.indicators} indicateur(s), {result.roles} interlocuteur(s).")
    for fmt, path in result.paths.items():
        print(f"  {fmt.upper():5} {path}")
    return 0
