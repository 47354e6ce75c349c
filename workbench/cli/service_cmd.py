"""``workbench report-service start|status|stop``: the workspace's warm report service.

Like :mod:`workbench.cli.report_cmd`, this module imports nothing heavy at load time; the service
itself (kernel, browser, pipeline) is imported by ``start`` only.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from workbench.core.errors import NotFoundError, RunError, UsageError
from workbench.reports.service import DEFAULT_IDLE_MIN, call, run_service, wait_stopped, workspace_path

NOT_RUNNING_EXIT = NotFoundError.exit_code


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    sp = sub.add_parser("report-service", help="service de rapports : noyau et navigateur gardés prêts pour "
                                               "« workbench report » (un par espace de travail)")
    ssub = sp.add_subparsers(dest="service_command", metavar="SOUS-COMMANDE", parser_class=type(sp))
    ssub.required = True
    st = ssub.add_parser("start", parents=[parent],
                         help="démarrer le service au premier plan (Ctrl+C pour l'arrêter)")
    st.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_MIN, metavar="MINUTES",
                    help=f"s'arrêter seul après ce temps sans demande (défaut : {DEFAULT_IDLE_MIN} ; 0 : jamais)")
    st.set_defaults(func=cmd_start)
    ssub.add_parser("status", parents=[parent], help="dire si le service tourne, depuis quand, ce qu'il a fait"
                    ).set_defaults(func=cmd_status)
    ssub.add_parser("stop", parents=[parent], help="arrêter le service (après le rapport en cours)"
                    ).set_defaults(func=cmd_stop)


def _minutes(value: float) -> str:
    return (f"{value:g}" if value != int(value) else str(int(value))).replace(".", ",")


def cmd_start(args: argparse.Namespace) -> int:
    if args.idle_timeout < 0:
        raise UsageError(f"--idle-timeout doit être positif ou nul (reçu : {_minutes(args.idle_timeout)}).")
    workspace = workspace_path(getattr(args, "workspace", None))
    print(f"Démarrage du service de rapports pour {workspace} (noyau et navigateur)…", flush=True)

    def ready(service) -> None:  # noqa: ANN001
        idle = (f"arrêt automatique après {_minutes(args.idle_timeout)} min sans demande"
                if args.idle_timeout else "pas d'arrêt automatique")
        print(f"Service de rapports prêt pour l'espace de travail {service.workspace} (processus {service.pid}, "
              f"{idle}). Les « workbench report » de cet espace passent désormais par lui. "
              "Arrêt : Ctrl+C ici, ou « workbench report-service stop ».", flush=True)

    def echo(line: str) -> None:
        print(line, flush=True)

    reason = run_service(workspace, idle_timeout_s=args.idle_timeout * 60, echo=echo, on_ready=ready)
    if reason == "idle":
        print(f"Service de rapports arrêté : aucune demande depuis {_minutes(args.idle_timeout)} min. "
              "Noyau et navigateur fermés.")
    else:
        print("Service de rapports arrêté (workbench report-service stop). Noyau et navigateur fermés.")
    return 0


def _not_running(workspace) -> int:  # noqa: ANN001
    print(f"Aucun service de rapports ne tourne pour l'espace de travail {workspace}. "
          "Démarrage : workbench report-service start")
    return NOT_RUNNING_EXIT


def _ask(args: argparse.Namespace, op: str) -> tuple[Path, dict | None]:
    """The workspace and the service's status after ``op`` (None: no service runs)."""
    workspace = workspace_path(getattr(args, "workspace", None))
    reply = call(workspace, {"op": op}, timeout=30)
    if reply is not None and not reply.get("ok"):
        raise UsageError(f"le service de rapports refuse la demande : {reply.get('message', '')}")
    return workspace, reply["status"] if reply is not None else None


def cmd_status(args: argparse.Namespace) -> int:
    workspace, s = _ask(args, "status")
    if s is None:
        return _not_running(workspace)
    started = dt.datetime.fromisoformat(s["started_at"]).strftime("%d/%m/%Y à %H:%M")
    idle = s.get("idle_timeout_s") or 0
    print(f"Service de rapports en marche pour l'espace de travail {s['workspace']}")
    print(f"  Processus {s['pid']}, démarré le {started}")
    print(f"  Rapports faits : {s['reports_served']}, échecs : {s['reports_failed']}"
          f"{', un rapport en cours' if s.get('busy') else ''}")
    print(f"  Version {s['version']}, empreinte du code {s['code_fingerprint'][:12]}"
          f" (paquet {s['package_fingerprint'][:12]})")
    print(f"  Arrêt automatique : {'après ' + _minutes(idle / 60) + ' min sans demande' if idle else 'jamais'}")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    workspace, s = _ask(args, "stop")
    if s is None:
        return _not_running(workspace)
    pid = s["pid"]
    if s.get("busy"):
        print("Un rapport est en cours : le service s'arrêtera juste après.", flush=True)
    if not wait_stopped(workspace, pid, timeout=600):
        raise RunError(f"le service de rapports (processus {pid}) ne s'est pas arrêté dans les 10 minutes.")
    print(f"Service de rapports arrêté (processus {pid}).")
    return 0
