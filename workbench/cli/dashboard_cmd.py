"""``workbench dashboard CLIENT``: serve one client's read-only dashboard in a local Voilà app."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import webbrowser

from workbench.apps.dashboard.data import open_readonly
from workbench.apps.dashboard.launch import (
    DEFAULT_PORT,
    dashboard_command,
    dashboard_env,
    dashboard_url,
    new_token,
    private_config,
    wait_listening,
)
from workbench.cli.common import settings_from
from workbench.cli.serve import check_port, supervise
from workbench.core.errors import RunError
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
    token = new_token()
    url = dashboard_url(args.port, token)
    shown = f"mission {mission.id}" if args.mission else f"mission la plus récente (actuellement {mission.id})"
    with private_config(token) as config_dir:

        def started(proc: subprocess.Popen) -> None:
            if not wait_listening(args.port, proc):
                raise RunError(f"Voilà s'est arrêté avant d'être prêt (code {proc.wait()}).")
            shutil.rmtree(config_dir, ignore_errors=True)  # read at start-up: the token leaves the disk
            print(f"Tableau de bord de {client} ({shown}), en lecture seule :")
            print(f"  {url}")
            print("Adresse personnelle, valable jusqu'à l'arrêt : ne la transmettez qu'à ce client. "
                  "Ctrl+C pour arrêter.")
            if not args.no_browser:
                webbrowser.open(url)

        code = supervise(dashboard_command(args.port, config_dir),
                         dashboard_env(settings.workspace, client, args.mission), when_started=started)
    print("Tableau de bord arrêté.")
    return code
