"""``workbench texts CLIENT``: what the consultant writes for the report.

Executive summary, conclusion, record of the visit (dates, people met and their roles, documents
reviewed) and signature block. Each change is kept in the mission's history; the interview app
edits the same texts.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from workbench.cli.common import open_workspace, parse_date, print_json
from workbench.core.dates import fr_date
from workbench.core.errors import UsageError
from workbench.domain.deliverable import Signature, Visit, parse_person
from workbench.domain.profile import validate_client_id
from workbench.store.report_texts import get_report_texts, save_report_texts


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("texts", parents=[parent],
                       help="synthèse, conclusion, visite et signature du rapport d'une mission")
    p.add_argument("client", metavar="CLIENT", help="identifiant du client")
    p.add_argument("--mission", metavar="ID", help="mission (défaut : la dernière du client)")
    p.add_argument("--summary", metavar="TEXTE", help="synthèse (paragraphes séparés par une ligne vide)")
    p.add_argument("--summary-file", metavar="FICHIER", help="synthèse lue dans un fichier texte")
    p.add_argument("--conclusion", metavar="TEXTE", help="conclusion")
    p.add_argument("--conclusion-file", metavar="FICHIER", help="conclusion lue dans un fichier texte")
    p.add_argument("--visit-date", action="append", metavar="AAAA-MM-JJ",
                   help="date de visite (répétable ; remplace les dates enregistrées)")
    p.add_argument("--met", action="append", metavar="« NOM : RÔLE »",
                   help="personne rencontrée et son rôle (répétable ; remplace la liste)")
    p.add_argument("--document", action="append", metavar="TITRE",
                   help="document consulté (répétable ; remplace la liste)")
    p.add_argument("--signatory", metavar="NOM", help="signataire du rapport")
    p.add_argument("--signatory-role", metavar="FONCTION", help="fonction du signataire")
    p.add_argument("--place", metavar="VILLE", help="lieu de signature")
    p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(func=cmd_texts)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"le fichier {path} n'est pas un texte UTF-8.") from None


def cmd_texts(args: argparse.Namespace) -> int:
    client_id = validate_client_id(args.client)
    with open_workspace(args) as ws:
        mission = ws.resolve_mission(client_id, args.mission)
        current = get_report_texts(ws.store, mission.id)  # type: ignore[arg-type]
        changes: dict[str, Any] = {}
        summary = _read(args.summary_file) if args.summary_file else args.summary
        conclusion = _read(args.conclusion_file) if args.conclusion_file else args.conclusion
        if summary is not None:
            changes["summary"] = summary.strip()
        if conclusion is not None:
            changes["conclusion"] = conclusion.strip()
        if args.visit_date or args.met or args.document:
            visit = current.visit.model_copy()
            if args.visit_date:
                visit.dates = [parse_date(d, "date de visite") for d in args.visit_date]
            if args.met:
                people = [parse_person(m) for m in args.met if m.strip()]
                visit.people = people
            if args.document:
                visit.documents = [d.strip() for d in args.document if d.strip()]
            changes["visit"] = Visit.model_validate(visit.model_dump())
        if any(v is not None for v in (args.signatory, args.signatory_role, args.place)):
            sig = current.signature.model_dump()
            for key, value in (("name", args.signatory), ("role", args.signatory_role), ("place", args.place)):
                if value is not None:
                    sig[key] = value.strip()
            changes["signature"] = Signature.model_validate(sig)
        texts = save_report_texts(ws.store, mission.id, **changes) if changes else current  # type: ignore[arg-type]
    if args.json:
        print_json(texts.model_dump(mode="json") | {"mission": mission.id})
        return 0
    print(f"Textes du rapport de la mission « {mission.id} »" + (" (modifiés)" if changes else "") + " :")
    print(f"  Synthèse   : {_short(texts.summary)}")
    print(f"  Conclusion : {_short(texts.conclusion)}")
    v = texts.visit
    print(f"  Visite     : {', '.join(fr_date(d) for d in v.dates) or '—'} ; "
          f"{len(v.people)} personne(s) rencontrée(s) ; {len(v.documents)} document(s) consulté(s)")
    s = texts.signature
    print(f"  Signature  : {s.name or '— (consultant des réglages par défaut)'}"
          f"{', ' + s.role if s.role else ''}{', à ' + s.place if s.place else ''}")
    return 0


def _short(text: str) -> str:
    text = " ".join(text.split())
    return (text[:70] + "…" if len(text) > 70 else text) or "—"
