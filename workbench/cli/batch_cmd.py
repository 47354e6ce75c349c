"""``workbench batch`` (every client's deliverables) and ``workbench portfolio`` (the portfolio view)."""

from __future__ import annotations

import argparse
import os
import sys

from workbench.cli.common import open_workspace, print_json
from workbench.core.errors import UsageError

EXIT_FAILED = 8
"""Some client failed: the same code as a failed report (RunError)."""


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    bp = sub.add_parser("batch", parents=[parent],
                        help="produire les livrables de tous les clients actifs, en parallèle, et la vue portefeuille")
    bp.add_argument("--clients", metavar="a,b,…", help="limiter à ces clients (identifiants séparés par des virgules)")
    bp.add_argument("--consultant", metavar="NOM", help="limiter aux clients de ce consultant (profil « consultant »)")
    bp.add_argument("--formats", default="html,pdf,xlsx", metavar="html,pdf,xlsx",
                    help="formats à produire (défaut : html,pdf,xlsx)")
    bp.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), metavar="N",
                    help="processus de travail en parallèle (défaut : 2)")
    bp.add_argument("--force", action="store_true", help="refaire aussi les clients inchangés depuis leurs derniers livrables")
    bp.add_argument("--json", action="store_true", help="afficher le manifeste JSON du lot")
    bp.add_argument("--scheduler", metavar="tcp://HÔTE:PORT",
                    help="exécuter sur un cluster Dask distribué (l'espace de travail doit être partagé)")
    bp.add_argument("--no-portfolio", action="store_true", help="ne pas produire la vue portefeuille")
    bp.add_argument("--recycle-after", type=int, default=None, metavar="N",
                    help="remplacer le noyau d'un processus de travail après N rapports (défaut : 40)")
    bp.set_defaults(func=cmd_batch)

    pp = sub.add_parser("portfolio", parents=[parent],
                        help="vue portefeuille : tous les clients, échéances, écarts fréquents (HTML, PDF, Excel)")
    pp.add_argument("--consultant", metavar="NOM", help="ne montrer que les clients de ce consultant")
    pp.add_argument("--formats", default="html,pdf,xlsx", metavar="html,pdf,xlsx",
                    help="formats à produire (défaut : html,pdf,xlsx)")
    pp.set_defaults(func=cmd_portfolio)


def cmd_batch(args: argparse.Namespace) -> int:
    from workbench.reports.batch import BatchOptions, run_batch, summary_text
    from workbench.reports.pipeline import parse_formats

    formats = tuple(parse_formats(args.formats))
    clients = [c.strip() for c in args.clients.split(",") if c.strip()] if args.clients else None
    if args.clients is not None and not clients:
        raise UsageError("--clients : indiquez au moins un identifiant de client.")
    if args.workers < 1:
        raise UsageError(f"--workers doit être au moins 1 (reçu : {args.workers}).")
    if args.recycle_after is not None and args.recycle_after < 1:
        raise UsageError(f"--recycle-after doit être au moins 1 (reçu : {args.recycle_after}).")
    options = BatchOptions(clients=clients, consultant=args.consultant, formats=formats, workers=args.workers,
                           force=args.force, scheduler=args.scheduler, portfolio=not args.no_portfolio,
                           progress=not args.json or sys.stderr.isatty())
    if args.recycle_after:
        options.recycle_after = args.recycle_after
    with open_workspace(args) as ws:
        manifest = run_batch(ws, options)
    if args.json:
        print_json(manifest.to_dict())
    else:
        print(summary_text(manifest))
    return EXIT_FAILED if manifest.failed else 0


def cmd_portfolio(args: argparse.Namespace) -> int:
    from workbench.reports.pipeline import parse_formats
    from workbench.reports.portfolio import generate_portfolio

    formats = parse_formats(args.formats)
    with open_workspace(args) as ws:
        result = generate_portfolio(ws, formats, consultant=args.consultant)
    secs = f"{result.seconds:.1f}".replace(".", ",")
    print(f"Vue portefeuille ({secs} s) :")
    for name, path in result.paths.items():
        print(f"  {name.upper():5} {path}")
    return 0
