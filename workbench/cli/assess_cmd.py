"""``workbench assess CLIENT --answers FILE.yaml [--json]``: « Qualiopi, stratégique pour vous ? »."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from workbench.cli.common import open_workspace, parse_date, print_json
from workbench.core.dates import fr_date
from workbench.core.errors import UsageError
from workbench.core.validation import read_yaml
from workbench.domain.opportunity import Assessment
from workbench.reports.opportunity_note import NOTE_FORMATS, generate_note
from workbench.services.opportunity import list_prospects, run_assessment
from workbench.store.opportunity import list_assessments


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("assess", parents=[parent],
                       help="évaluer l'opportunité de la certification pour un prospect ou un client")
    p.add_argument("client", metavar="CLIENT", nargs="?", help="identifiant du client")
    p.add_argument("--answers", metavar="FICHIER.yaml",
                   help="réponses au questionnaire (clés : funded_share_now, funded_share_planned, growth, "
                        "activity_limited_by_choice, credibility_needs, maturity, capacity_days_per_month, "
                        "deadline, works_as_subcontractor, annual_revenue)")
    p.add_argument("--today", metavar="AAAA-MM-JJ", help="date de l'évaluation (défaut : aujourd'hui)")
    p.add_argument("--history", action="store_true", help="afficher les évaluations déjà enregistrées")
    p.add_argument("--prospects", action="store_true", help="lister les prospects et leur dernier verdict")
    p.add_argument("--note", metavar="FORMATS", nargs="?", const=",".join(NOTE_FORMATS),
                   help="produire la « Note d'opportunité Qualiopi » (html,pdf,docx ; défaut : les trois) de "
                        "l'évaluation faite, ou de la dernière enregistrée sans --answers ; le modèle Word "
                        "<espace>/modeles/note_opportunite.docx remplace celui livré")
    p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(func=cmd_assess)


def _print(result: Assessment, client_id: str, number: int | None) -> None:
    d = result.to_dict()
    print(f"« Qualiopi, stratégique pour vous ? » — {client_id}, le {fr_date(result.today)}"
          + (f" (évaluation n° {number})" if number else ""))
    print(f"\nVerdict : {result.verdict.label}")
    for r in result.reasons:
        print(f"  - {r}")
    if result.risks:
        print("\nRisques :")
        for risk in result.risks:
            print(f"  - {risk.text}")
    print(f"\nAccompagnement recommandé : {result.recommended_support.label}")
    cost = d["cost_estimate"]
    print(f"Coût estimé sur le cycle de 3 ans : {cost['low']:,} à {cost['high']:,} € HT".replace(",", "\u202f"))
    for b in cost["basis"]:
        print(f"  - {b}")
    if result.timeline:
        print("\nCalendrier :")
        for step in result.timeline:
            print(f"  - {step.describe()}")
    for alt in result.alternatives:
        print(f"\nAlternative : {alt.title}\n  {alt.summary}")
        for rule in alt.rules:
            print(f"  - {rule}")
        if alt.uncertain:
            print(f"  Incertain : {alt.uncertain}")
    for u in (*result.uncertain, *cost["uncertain"]):
        print(f"(?) {u}")


def cmd_assess(args: argparse.Namespace) -> int:
    if args.prospects:
        with open_workspace(args) as ws:
            rows = [p.to_dict() for p in list_prospects(ws)]
        if args.json:
            print_json(rows)
        else:
            for r in rows:
                verdict = r["verdict_label"] or "non évalué"
                print(f"{r['client_id']} — {r['name']} : {verdict}"
                      + (f" ({r['assessed_on']})" if r["assessed_on"] else ""))
        return 0
    if not args.client:
        raise UsageError("Indiquez le client à évaluer (ou --prospects pour la liste des prospects).")
    if args.history:
        with open_workspace(args) as ws:
            ws.store.get_client(args.client)
            history = list_assessments(ws.store, args.client)
        if args.json:
            print_json([{"id": h.id, "assessed_on": h.assessed_on.isoformat(), "verdict": h.verdict,
                         "actor": h.actor, "result": h.result} for h in history])
        else:
            for h in history:
                print(f"n° {h.id} du {fr_date(h.assessed_on)} : {h.result.get('verdict_label', h.verdict)} ({h.actor})")
        return 0
    if not args.answers and args.note:
        with open_workspace(args) as ws:
            paths = generate_note(ws, args.client, None, args.note.split(","))
        _print_paths(paths, args.json)
        return 0
    if not args.answers:
        raise UsageError("Indiquez le fichier des réponses : --answers FICHIER.yaml.")
    path = Path(args.answers)
    raw = read_yaml(path, "Réponses du questionnaire d'opportunité") if path.exists() else None
    if raw is None and not path.exists():
        raise UsageError(f"Fichier de réponses introuvable : {path}.")
    today = parse_date(args.today, "date de l'évaluation") if args.today else dt.date.today()
    with open_workspace(args) as ws:
        result, stored = run_assessment(ws, args.client, raw, today=today, source=f"Réponses {path.name}")
        paths = generate_note(ws, args.client, stored.id if stored else None, args.note.split(",")) \
            if args.note else {}
    if args.json:
        print_json(result.to_dict() | {"assessment_id": stored.id if stored else None, "client": args.client,
                                       "note": {k: str(v) for k, v in paths.items()}})
        return 0
    _print(result, args.client, stored.id if stored else None)
    if paths:
        _print_paths(paths, False)
    return 0


def _print_paths(paths: dict, as_json: bool) -> None:
    if as_json:
        print_json({k: str(v) for k, v in paths.items()})
        return
    print("\nNote d'opportunité Qualiopi :")
    for fmt, path in paths.items():
        print(f"  {fmt.upper()} : {path}")
