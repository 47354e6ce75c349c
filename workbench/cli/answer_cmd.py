"""``workbench answer``: record an indicator's answer from the command line.

For scripts, bulk entry and tests. It goes through the interview's own model
(:class:`~workbench.apps.interview.model.InterviewModel`), so the rules are those of the interview
app (justification required for « non applicable », no NC mineure on a major-only indicator) and
every change lands in the same history.
"""

from __future__ import annotations

import argparse

from workbench.apps.interview.model import InterviewModel
from workbench.cli.common import open_workspace, print_json
from workbench.core.errors import UsageError
from workbench.core.vocab import Verdict
from workbench.domain.profile import validate_client_id


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "answer", parents=[parent],
        help="enregistrer le verdict, le constat ou les notes privées d'un indicateur",
        description="Enregistre la réponse d'un indicateur avec les mêmes règles et le même historique "
                    "que l'entretien. Le constat est repris dans les livrables du client ; les notes "
                    "privées n'apparaissent dans aucun livrable.",
    )
    p.add_argument("client", metavar="CLIENT", help="identifiant du client")
    p.add_argument("--mission", metavar="ID", help="mission (défaut : la dernière mission du client)")
    p.add_argument("--indicator", required=True, type=int, metavar="N", help="numéro de l'indicateur")
    p.add_argument("--verdict", choices=[v.value for v in Verdict], metavar="VERDICT",
                   help="conforme, nc_mineure, nc_majeure, non_applicable ou non_evalue")
    p.add_argument("--finding", metavar="TEXTE", help="constat rédigé pour le client (repris dans le rapport)")
    p.add_argument("--private-note", dest="private_note", metavar="TEXTE",
                   help="notes privées du consultant (jamais dans les livrables)")
    p.add_argument("--na-justification", dest="na_justification", metavar="TEXTE",
                   help="justification de non-applicabilité (obligatoire avec --verdict non_applicable)")
    p.add_argument("--json", action="store_true", help="sortie JSON (la réponse enregistrée)")
    p.set_defaults(func=cmd_answer)


def cmd_answer(args: argparse.Namespace) -> int:
    client_id = validate_client_id(args.client)
    if all(v is None for v in (args.verdict, args.finding, args.private_note, args.na_justification)):
        raise UsageError("rien à enregistrer : indiquez --verdict, --finding, --private-note ou --na-justification.")
    with open_workspace(args) as ws:
        mission = ws.resolve_mission(client_id, args.mission)
        model = InterviewModel(ws, mission.id)
        entry = model.entry_by_number(args.indicator)
        before = model.answer(entry.id)
        # The verdict first: it is the only change the rules may refuse, and then nothing is saved.
        if args.verdict is not None:
            model.set_verdict(args.verdict, justification=args.na_justification, indicator_id=entry.id)
        elif args.na_justification is not None:
            model.set_na_justification(args.na_justification, indicator_id=entry.id)
        if args.finding is not None:
            model.set_finding(args.finding, indicator_id=entry.id)
        if args.private_note is not None:
            model.set_private_notes(args.private_note, indicator_id=entry.id)
        after = model.answer(entry.id)
    if args.json:
        print_json(after.model_dump(mode="json") | {"number": entry.number})
        return 0
    changed = [label for field, label in (("verdict", "verdict"), ("finding", "constat"),
                                          ("private_notes", "notes privées"),
                                          ("na_justification", "justification de non-applicabilité"))
               if getattr(before, field) != getattr(after, field)]
    what = ", ".join(changed) if changed else "aucun changement (valeurs identiques)"
    print(f"Indicateur {entry.number} de la mission « {mission.id} » : {what}.")
    print(f"Verdict : {after.verdict.label}")
    return 0
