"""``workbench calendar`` (certification calendar, JSON and ICS) and ``workbench alerts`` (« À traiter »)."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli.common import open_workspace, parse_date, print_json, print_table
from workbench.cli.tasks_cmd import today_from, today_option
from workbench.core.dates import add_months, fr_date
from workbench.core.errors import UsageError
from workbench.domain.profile import validate_client_id
from workbench.services import lifecycle

DEFAULT_MONTHS = 12


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    cp = sub.add_parser("calendar", parents=[parent],
                        help="calendrier de certification (un client ou tout le portefeuille), JSON ou ICS")
    cp.add_argument("--client", metavar="ID", help="un seul client (défaut : tous)")
    cp.add_argument("--consultant", metavar="NOM", help="les clients de ce consultant")
    cp.add_argument("--from", dest="start", metavar="AAAA-MM-JJ", help="début de la période (défaut : aujourd'hui)")
    cp.add_argument("--to", dest="end", metavar="AAAA-MM-JJ",
                    help=f"fin de la période (défaut : {DEFAULT_MONTHS} mois après le début)")
    cp.add_argument("--json", action="store_true", help="sortie JSON")
    cp.add_argument("--ics", metavar="FICHIER.ics", help="écrire aussi un fichier de calendrier (iCalendar)")
    today_option(cp)
    cp.set_defaults(func=cmd_calendar)

    ap = sub.add_parser("alerts", parents=[parent], help="« À traiter » : retards, preuves à actualiser, échéances")
    ap.add_argument("client", metavar="CLIENT", nargs="?", help="un seul client (défaut : tout le portefeuille)")
    ap.add_argument("--consultant", metavar="NOM", help="les clients de ce consultant")
    ap.add_argument("--json", action="store_true", help="sortie JSON")
    today_option(ap)
    ap.set_defaults(func=cmd_alerts)


def cmd_calendar(args: argparse.Namespace) -> int:
    from workbench.reports.ics import write_ics

    today = today_from(args)
    start = parse_date(args.start, "début de période (--from)") if args.start else today
    end = parse_date(args.end, "fin de période (--to)") if args.end else add_months(start, DEFAULT_MONTHS)
    if end < start:
        raise UsageError(f"période vide : --to ({fr_date(end)}) précède --from ({fr_date(start)}).")
    client = validate_client_id(args.client) if args.client else None
    with open_workspace(args) as ws:
        if client:
            profile = ws.store.get_client(client)
            if args.consultant and (profile.consultant or "").casefold() != args.consultant.strip().casefold():
                raise UsageError(f"le client « {client} » n'est pas suivi par « {args.consultant} » "
                                 f"(consultant : {profile.consultant or 'non renseigné'}).")
            items = lifecycle.client_calendar_items(ws, client, today, start=start, end=end)
            name = f"Qualiopi — {profile.name}"
        else:
            items = lifecycle.portfolio_calendar_items(ws, today, start=start, end=end, consultant=args.consultant)
            name = "Qualiopi — portefeuille" + (f" de {args.consultant}" if args.consultant else "")
    ics = write_ics(Path(args.ics), items, name) if args.ics else None
    if args.json:
        print_json([i.to_dict() for i in items])
        return 0
    print(f"Calendrier du {fr_date(start)} au {fr_date(end)} : {len(items)} échéance(s).")
    if items:
        print_table(["Début", "Fin", "Client", "Type", "Intitulé"],
                    [[fr_date(i.start), fr_date(i.end) if i.end else "", i.client, i.kind.label,
                      ("[EN RETARD] " if i.late else "") + i.title] for i in items], max_width=70)
    if ics:
        print(f"Fichier de calendrier écrit : {ics} (réimportable : les événements sont mis à jour, pas dupliqués).")
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    today = today_from(args)
    client = validate_client_id(args.client) if args.client else None
    with open_workspace(args) as ws:
        if client:
            ws.store.get_client(client)
            alerts = lifecycle.alerts_for_client(ws, client, today)
        else:
            alerts = lifecycle.alerts_for_portfolio(ws, today, consultant=args.consultant, write=True)
    if args.json:
        print_json([a.to_dict() for a in alerts])
        return 0
    who = f"« {client} »" if client else "le portefeuille"
    if not alerts:
        print(f"À traiter pour {who} au {fr_date(today)} : rien.")
        return 0
    print(f"À traiter pour {who} au {fr_date(today)} : {len(alerts)} point(s).")
    print_table(["Urgence", "Client", "Type", "Point", "Date"],
                [[{1: "haute", 2: "moyenne", 3: "à planifier"}[a.severity], a.client, a.kind.label, a.title,
                  fr_date(a.date)] for a in alerts], max_width=70)
    return 0
