"""``workbench demo``: build the demo workspace and its reports."""

from __future__ import annotations

import argparse
import time

from workbench.cli.common import print_table
from workbench.core.errors import UsageError
from workbench.core.settings import resolve_workspace
from workbench.reports.opportunity_note import NOTE_FORMATS, generate_note
from workbench.services.demo import build_demo, demo_access_codes
from workbench.services.opportunity import list_prospects

FORMATS = ("html", "pdf", "docx", "xlsx")


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", parents=[parent],
                       help="construit l'espace de démonstration (clients fictifs, missions, rapports)")
    p.add_argument("--no-reports", action="store_true", help="ne pas générer les rapports")
    p.add_argument("--formats", default=",".join(FORMATS), metavar="html,pdf,docx,xlsx",
                   help="formats des rapports (défaut : html,pdf,docx,xlsx)")
    p.set_defaults(func=cmd_demo)


def parse_formats(raw: str) -> tuple[str, ...]:
    formats = tuple(f.strip().lower() for f in raw.split(",") if f.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(f"format(s) inconnu(s) : {', '.join(unknown) or '(aucun)'} (possibles : {', '.join(FORMATS)}).")
    return formats


def cmd_demo(args: argparse.Namespace) -> int:
    formats = parse_formats(args.formats)
    path = resolve_workspace(getattr(args, "workspace", None))
    started = time.perf_counter()
    print(f"Construction de l'espace de démonstration dans {path} …")
    ws = build_demo(path)
    try:
        missions = ws.store.list_missions()
        rows = []
        for client in ws.store.list_clients():
            mine = [m for m in missions if m.client_id == client.id]
            rows.append([client.id, client.name, client.template or "—",
                         ", ".join(f"{m.id} ({m.referential_id}, audit {m.audit_date:%d/%m/%Y})" for m in mine)])
        print_table(["Client", "Raison sociale", "Modèle", "Missions"], rows, max_width=70)
        codes = demo_access_codes(ws)
        prospects = list_prospects(ws)
        print("\nProspects (« Qualiopi, stratégique pour vous ? ») :")
        print_table(["Prospect", "Raison sociale", "Verdict", "Montant en jeu (€/an)"],
                    [[p.client_id, p.name, p.verdict_label or "—", p.revenue_at_stake or "—"] for p in prospects],
                    max_width=50)
        if args.no_reports:
            print(f"\n{len(rows) - len(prospects)} clients et {len(prospects)} prospects créés "
                  "(rapports non générés).")
            _next_steps(path, codes)
            return 0
        from workbench.reports.pipeline import generate_report

        print(f"\nGénération des rapports ({', '.join(formats)}) …")
        for mission in missions:  # every mission: earlier ones show "ce qui change pour vous"
            result = generate_report(ws, mission.client_id, mission.id, formats=formats)
            for fmt, out in result.paths.items():
                print(f"  {mission.id:<28} {fmt:<5} {out.relative_to(ws.path)}")
        notes = [f for f in formats if f in NOTE_FORMATS]
        for prospect in list_prospects(ws):
            if notes:
                for fmt, out in generate_note(ws, prospect.client_id, formats=notes).items():
                    print(f"  {prospect.client_id:<28} {fmt:<5} {out.relative_to(ws.path)}")
        from workbench.reports.portfolio import generate_portfolio

        portfolio = generate_portfolio(ws, formats)
        for fmt, out in portfolio.paths.items():
            print(f"  {'vue portefeuille':<28} {fmt:<5} {out.relative_to(ws.path)}")
        print(f"\nDémonstration prête en {time.perf_counter() - started:.0f} s : "
              f"{len(rows) - len(prospects)} clients et {len(prospects)} prospects, livrables dans "
              f"{ws.settings.reports_dir}.")
        _next_steps(path, codes)
    finally:
        ws.close()
    return 0


def _next_steps(path, codes: dict[str, str]) -> None:
    ws_opt = "" if path == resolve_workspace(None) else f" --workspace {path}"
    print("\nEspace client : un code d'accès personnel par client (affiché une seule fois) :")
    print_table(["Client", "Code d'accès"], sorted(codes.items()))
    print(f"  workbench{ws_opt} serve   # puis ouvrez http://127.0.0.1:8870/ et saisissez un code")
    print("\nPour continuer :")
    print(f"  workbench{ws_opt} client show forma-sud-conseil   # profil, cycle, durées d'audit")
    print(f"  workbench{ws_opt} assess --prospects   # prospects et verdict d'opportunité")
    print(f"  workbench{ws_opt} assess bretagne-cuisine-service --history   # historique des évaluations")
    print(f"  workbench{ws_opt} interview forma-sud-conseil   # grille d'entretien (Voilà)")
    print(f"  workbench{ws_opt} dashboard forma-sud-conseil   # aperçu local du tableau de bord (Voilà)")
    print(f"  workbench{ws_opt} client changes forma-sud-conseil   # ce que le client a fait depuis son espace")
    print(f"  workbench{ws_opt} sessions results forma-sud-conseil   # revue des dossiers de session")
    print(f"  workbench{ws_opt} referentiel diff rnq-2019-v9 rnq-2026")
    print(f"  workbench{ws_opt} alerts   # « À traiter » : retards, preuves à actualiser, échéances")
    print(f"  workbench{ws_opt} tasks list cfa-batiment-avenir   # tâches qualité récurrentes")
    print(f"  workbench{ws_opt} calendar --ics portefeuille.ics   # calendrier de certification")
    print(f"  workbench{ws_opt} batch                      # tous les livrables en parallèle (incrémental)")
    print(f"  workbench{ws_opt} portfolio --consultant \"Karim Benali\"   # vue portefeuille filtrée")
    print(f"  workbench{ws_opt} report-service start   # dans un autre terminal : noyau et navigateur gardés prêts, "
          "puis « workbench report forma-sud-conseil » en deux secondes environ")
    print(f"  workbench{ws_opt} client export forma-sud-conseil -o forma.qwb   # paquet pour un collègue ; "
          "garanties de sécurité : docs/security.md")
