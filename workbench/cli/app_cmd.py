"""``workbench interview CLIENT``: open the on-site interview grid in a local Voilà app."""

from __future__ import annotations

import argparse

from workbench.apps.interview.launch import interview_app
from workbench.apps.voila import kernel_env
from workbench.cli.common import open_workspace, settings_from
from workbench.cli.serve import check_port, serve_with_token
from workbench.core.dates import fr_date
from workbench.core.vocab import of_name
from workbench.domain.profile import validate_client_id


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "interview", parents=[parent],
        help="ouvrir la grille d'entretien d'un client dans le navigateur (Voilà, hors ligne)",
    )
    p.add_argument("client", metavar="CLIENT", help="identifiant du client")
    p.add_argument("--mission", metavar="ID", default=None, help="mission (défaut : la plus récente du client)")
    p.add_argument("--port", type=int, default=8866, metavar="N", help="port local (défaut : 8866)")
    p.add_argument("--no-browser", action="store_true", help="ne pas ouvrir le navigateur automatiquement")
    p.set_defaults(func=cmd_interview)


def cmd_interview(args: argparse.Namespace) -> int:
    client = validate_client_id(args.client)
    settings = settings_from(args)
    with open_workspace(args) as ws:
        mission = ws.resolve_mission(client, args.mission)
        profile = ws.store.get_client(client)
    check_port(args.port)
    log = settings.workspace / ".workbench" / "logs" / f"entretien-{client}.log"

    def announce(url: str) -> None:
        print(f"Entretien {of_name(profile.name)} — {mission.type.label.lower()}, audit du {fr_date(mission.audit_date)}")
        print(f"Ouvrez : {url}")
        print("Adresse protégée par un jeton renouvelé à chaque lancement ; chaque réponse est enregistrée "
              "immédiatement. Ctrl+C pour arrêter.")
        print(f"Journal technique du serveur : {log}", flush=True)

    code = serve_with_token(lambda token: interview_app(settings.workspace, client, mission.id, token), args.port,
                            kernel_env(settings, client_facing=True), open_browser=not args.no_browser,
                            announce=announce, log=log)
    print("Entretien fermé ; toutes les réponses sont dans l'espace de travail.")
    return code
