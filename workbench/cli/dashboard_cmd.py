"""``workbench dashboard CLIENT``: serve one client's read-only dashboard in a local Voilà app."""

from __future__ import annotations

import argparse

from workbench.apps.dashboard.data import open_readonly
from workbench.apps.dashboard.launch import DEFAULT_PORT, dashboard_app, dashboard_env
from workbench.cli.common import settings_from
from workbench.cli.serve import check_port, serve_with_token
from workbench.domain.profile import validate_client_id


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "dashboard", parents=[parent],
        help="servir le tableau de bord d'un client, en lecture seule (Voilà, machine locale, adresse à jeton)",
        description=(
            "Sert le tableau de bord d'UN client, en lecture seule, sur cette machine uniquement "
            "(127.0.0.1), à une adresse protégée par un jeton aléatoire renouvelé à chaque lancement. "
            "Un autre client : une autre commande, un autre port."
        ),
    )
    p.add_argument("client", metavar="CLIENT", help="identifiant du client")
    p.add_argument("--mission", metavar="ID", default=None,
                   help="mission affichée (défaut : la plus récente du client au moment de l'affichage)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="N",
                   help=f"port local (défaut : {DEFAULT_PORT})")
    p.add_argument("--no-browser", action="store_true", help="ne pas ouvrir le navigateur automatiquement")
    p.set_defaults(func=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> int:
    client = validate_client_id(args.client)
    settings = settings_from(args)
    with open_readonly(settings) as ws:  # checks the client and the mission without writing anything
        mission = ws.resolve_mission(client, args.mission)
    check_port(args.port)
    shown = f"mission {mission.id}" if args.mission else f"mission la plus récente (actuellement {mission.id})"

    def announce(url: str) -> None:
        print(f"Tableau de bord de {client} ({shown}), en lecture seule :")
        print(f"  {url}")
        print("Adresse personnelle, valable jusqu'à l'arrêt : ne la transmettez qu'à ce client. "
              "Ctrl+C pour arrêter.", flush=True)

    code = serve_with_token(lambda token: dashboard_app(settings.workspace, client, args.mission, token),
                            args.port, dashboard_env(settings), open_browser=not args.no_browser, announce=announce)
    print("Tableau de bord arrêté.")
    return code
