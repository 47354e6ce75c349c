"""``workbench interview CLIENT``: open the on-site interview grid in a local Voilà app."""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess

from workbench.cli.common import open_workspace, settings_from
from workbench.errors import UsageError, WorkbenchError
from workbench.interview.launch import HOST, NOTEBOOK, voila_command, voila_env
from workbench.profile import validate_client_id


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


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def cmd_interview(args: argparse.Namespace) -> int:
    client = validate_client_id(args.client)
    if not 1024 <= args.port <= 65535:
        raise UsageError(f"port invalide : {args.port} (entre 1024 et 65535).")
    settings = settings_from(args)
    with open_workspace(args) as ws:
        mission = ws.resolve_mission(client, args.mission)
    if not _port_free(args.port):
        raise UsageError(f"le port {args.port} est déjà utilisé ; choisissez-en un autre avec --port.")
    print(f"Entretien de {client}, mission {mission.id} : http://{HOST}:{args.port}/")
    print("Chaque réponse est enregistrée immédiatement. Ctrl+C pour arrêter.")
    cmd = voila_command(NOTEBOOK, port=args.port, open_browser=not args.no_browser)
    try:
        proc = subprocess.Popen(cmd, env=voila_env(settings.workspace, client, mission.id))
    except OSError as exc:
        raise WorkbenchError(f"Impossible de lancer Voilà ({exc}).") from None
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        code = 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:  # stop our own server (and, through it, its kernel)
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    print("Entretien fermé ; toutes les réponses sont dans l'espace de travail.")
    return 0 if code in (0, -2, -15, 130) else code


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
