"""``workbench dashboard CLIENT``: serve one client's read-only dashboard in a local Voilà app."""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import subprocess
import webbrowser

from workbench.cli.common import settings_from
from workbench.dashboard.data import open_readonly
from workbench.dashboard.launch import (
    DEFAULT_PORT,
    HOST,
    dashboard_command,
    dashboard_env,
    dashboard_url,
    new_token,
    private_config,
    wait_listening,
)
from workbench.errors import UsageError, WorkbenchError
from workbench.profile import validate_client_id


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


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def cmd_dashboard(args: argparse.Namespace) -> int:
    client = validate_client_id(args.client)
    if not 1024 <= args.port <= 65535:
        raise UsageError(f"port invalide : {args.port} (entre 1024 et 65535).")
    settings = settings_from(args)
    with open_readonly(settings) as ws:  # checks the client and the mission without writing anything
        mission = ws.resolve_mission(client, args.mission)
    if not _port_free(args.port):
        raise UsageError(f"le port {args.port} est déjà utilisé ; choisissez-en un autre avec --port.")
    token = new_token()
    url = dashboard_url(args.port, token)
    shown = f"mission {mission.id}" if args.mission else f"mission la plus récente (actuellement {mission.id})"
    with private_config(token) as config_dir:
        try:
            proc = subprocess.Popen(dashboard_command(args.port, config_dir),
                                    env=dashboard_env(settings.workspace, client, args.mission))
        except OSError as exc:
            raise WorkbenchError(f"Impossible de lancer Voilà ({exc}).") from None
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            if not wait_listening(args.port, proc):
                code = proc.wait()
                raise WorkbenchError(f"Voilà s'est arrêté avant d'être prêt (code {code}).")
            shutil.rmtree(config_dir, ignore_errors=True)  # read at start-up: the token leaves the disk
            print(f"Tableau de bord de {client} ({shown}), en lecture seule :")
            print(f"  {url}")
            print("Adresse personnelle, valable jusqu'à l'arrêt : ne la transmettez qu'à ce client. "
                  "Ctrl+C pour arrêter.")
            if not args.no_browser:
                webbrowser.open(url)
            code = proc.wait()
        except KeyboardInterrupt:
            code = 0
        finally:
            signal.signal(signal.SIGTERM, previous)
            if proc.poll() is None:  # stop our own server (and, through it, its kernels)
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    print("Tableau de bord arrêté.")
    return 0 if code in (0, -2, -15, 130) else code


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
