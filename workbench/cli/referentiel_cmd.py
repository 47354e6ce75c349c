"""``workbench referentiel list|show|applicable|diff``."""

from __future__ import annotations

import argparse
import datetime as dt

from workbench.cli.common import (
    conditions_from_flags,
    library_from,
    parse_categories,
    parse_date,
    print_json,
    print_table,
)
from workbench.core.dates import fr_date
from workbench.core.errors import ReferentialError, UsageError
from workbench.referential.applicability import Scope, evaluate
from workbench.referential.diff import diff
from workbench.referential.library import Referential


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("referentiel", help="consulter les versions du référentiel qualité")
    rsub = p.add_subparsers(dest="ref_command", metavar="SOUS-COMMANDE", parser_class=type(p))
    rsub.required = True

    lp = rsub.add_parser("list", parents=[parent], help="versions disponibles, dates, statut")
    lp.add_argument("--json", action="store_true", help="sortie JSON")
    lp.set_defaults(func=cmd_list)

    sp = rsub.add_parser("show", parents=[parent], help="détail d'un indicateur")
    sp.add_argument("number", metavar="NUM", help="numéro de l'indicateur")
    sp.add_argument("--version", dest="version_id", metavar="ID", help="version (défaut : en vigueur aujourd'hui)")
    sp.add_argument("--json", action="store_true", help="sortie JSON")
    sp.set_defaults(func=cmd_show)

    ap = rsub.add_parser("applicable", parents=[parent], help="indicateurs applicables à un périmètre")
    which = ap.add_mutually_exclusive_group(required=True)
    which.add_argument("--version", dest="version_id", metavar="ID", help="version du référentiel")
    which.add_argument("--audit-date", metavar="AAAA-MM-JJ", help="date de l'audit visé")
    ap.add_argument("--categories", required=True, metavar="AF,BC,VAE,CFA", help="catégories d'action")
    ap.add_argument("--certifying", action="store_true", help="prestations certifiantes (RNCP/RS)")
    ap.add_argument("--alternance", action="store_true", help="formations en alternance")
    ap.add_argument("--work-periods", action="store_true", help="périodes en situation de travail")
    ap.add_argument("--subcontracting", action="store_true", help="sous-traitance ou portage salarial")
    ap.add_argument("--new-entrant", action="store_true", help="nouvel entrant")
    ap.add_argument("--short-courses-only", action="store_true", help="uniquement des formations ≤ 2 jours")
    ap.add_argument("--json", action="store_true", help="sortie JSON")
    ap.set_defaults(func=cmd_applicable)

    dp = rsub.add_parser("diff", parents=[parent], help="ce qui change entre deux versions")
    dp.add_argument("from_id", metavar="DE")
    dp.add_argument("to_id", metavar="VERS")
    dp.add_argument("--json", action="store_true", help="sortie JSON")
    dp.set_defaults(func=cmd_diff)


def _as_usage(func, *args):
    """Lookups driven by user arguments: an unknown version or indicator is a bad argument."""
    try:
        return func(*args)
    except ReferentialError as exc:
        raise UsageError(exc.message) from None


def _state(ref: Referential, today: dt.date) -> str:
    if ref.in_force_on(today):
        return "en vigueur"
    if today < ref.effective_from:
        return "à venir"
    return "remplacé"


def cmd_list(args: argparse.Namespace) -> int:
    lib = library_from(args)
    today = dt.date.today()
    rows = [
        {
            "id": r.id,
            "title": r.title,
            "version": r.version,
            "indicators": len(r.indicators),
            "effective_from": r.effective_from.isoformat(),
            "effective_until": r.effective_until.isoformat() if r.effective_until else None,
            "status": r.status.value,
            "in_force_today": r.in_force_on(today),
        }
        for r in lib.versions
    ]
    if args.json:
        print_json(rows)
        return 0
    print_table(
        ["Version", "Indicateurs", "Du", "Au", "Statut", "Aujourd'hui", "Titre"],
        [
            [
                r.id,
                len(r.indicators),
                fr_date(r.effective_from),
                fr_date(r.effective_until),
                r.status.label,
                _state(r, today),
                r.title,
            ]
            for r in lib.versions
        ],
        max_width=70,
    )
    return 0


def _parse_number(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise UsageError(f"numéro d'indicateur invalide : « {raw} » (nombre entier attendu).") from None


def cmd_show(args: argparse.Namespace) -> int:
    lib = library_from(args)
    ref = _as_usage(lib.get, args.version_id) if args.version_id else lib.for_date(dt.date.today())
    ind = _as_usage(ref.indicator, _parse_number(args.number))
    if args.json:
        data = ind.model_dump(mode="json")
        data["referential"] = ref.id
        print_json(data)
        return 0
    crit = ref.criterion(ind.criterion)
    print(f"{ref.title} — {ref.version} ({ref.status.label})")
    print(f"Critère {crit.number} : {crit.title}")
    print(f"\nIndicateur {ind.number} — {ind.title}  [{ind.id}]")
    print(f"\nExigence : {ind.requirement}")
    print(f"Niveau attendu : {ind.expected_level}")
    print("Exemples de preuves :")
    for proof in ind.proofs:
        print(f"  - {proof}")
    if ind.specific_rules:
        print("Obligations spécifiques :")
        for rule in ind.specific_rules:
            print(f"  - {rule}")
    cats = ", ".join(
        c.value + (f" (si {', '.join(x.label for x in r.requires)})" if r.requires else "")
        + (f" (sauf {', '.join(x.label for x in r.excluded_by)})" if r.excluded_by else "")
        for c, r in ind.applicability.categories.items()
    )
    print(f"Applicabilité : {cats}")
    if ind.applicability.note:
        print(f"  {ind.applicability.note}")
    print(f"Non-conformité : {ind.nc.grading.label}" + (f" — mineure si : {ind.nc.minor_when}" if ind.nc.minor_when else ""))
    if ind.new_entrant.adapted:
        print("Nouvel entrant :")
        if ind.new_entrant.at_initial:
            print(f"  à l'audit initial : {ind.new_entrant.at_initial}")
        if ind.new_entrant.deferred:
            print(f"  à l'audit de surveillance : {ind.new_entrant.deferred}")
    else:
        print("Nouvel entrant : pas d'aménagement")
    sub_note = f" — {ind.as_subcontractor.note}" if ind.as_subcontractor.note else ""
    print(f"En sous-traitance : {ind.as_subcontractor.rule.label}{sub_note}")
    surv = {True: "oui", False: "non", None: "incertain"}[ind.surveillance_minimum]
    print(f"Périmètre minimal de l'audit de surveillance : {surv}")
    if ind.change:
        print(f"Évolution : {ind.change.kind.label}" + (f" — {ind.change.summary}" if ind.change.summary else ""))
    if ind.audit_risk:
        print(f"Point de vigilance : {ind.audit_risk}")
    uncertain = list(ind.uncertain)
    for part in (ind.nc, ind.applicability, ind.new_entrant, ind.change):
        if part is not None and getattr(part, "uncertain", None):
            uncertain.append(part.uncertain)
    for u in uncertain:
        print(f"Incertain : {u}")
    return 0


def cmd_applicable(args: argparse.Namespace) -> int:
    lib = library_from(args)
    audit_date = parse_date(args.audit_date, "date d'audit") if args.audit_date else None
    ref = _as_usage(lib.resolve, args.version_id, audit_date)
    scope = Scope(
        categories=parse_categories(args.categories),
        conditions=conditions_from_flags(args),
        new_entrant=args.new_entrant,
    )
    results = evaluate(ref, scope)
    if args.json:
        print_json([r.to_dict() for r in results])
        return 0
    count = sum(r.applicable for r in results)
    print(f"{ref.title} — {ref.version}")
    print(f"{scope.describe()}")
    print(f"{count} indicateur(s) applicable(s) sur {len(results)}\n")
    print_table(
        ["N°", "Critère", "Intitulé", "Applicable", "NC", "Nouvel entrant", "Motif"],
        [
            [
                r.number,
                r.indicator.criterion,
                r.indicator.title,
                "oui" if r.applicable else "non",
                r.indicator.nc.grading.label,
                "aménagé" if r.new_entrant_adapted else "",
                r.reason + (" (?)" if r.uncertain else ""),
            ]
            for r in results
        ],
        max_width=45,
    )
    doubtful = [r for r in results if r.uncertain]
    if doubtful:
        print("\n(?) Applicabilité incertaine selon les sources :")
        for r in doubtful:
            print(f"  Indicateur {r.number} : {r.uncertain}")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    lib = library_from(args)
    result = diff(_as_usage(lib.get, args.from_id), _as_usage(lib.get, args.to_id))
    if args.json:
        print_json(result.to_dict())
        return 0
    print(f"Différences de {result.from_id} vers {result.to_id}")
    print(f"Indicateurs ajoutés : {len(result.added)} ; modifiés : {len(result.changed)} ; "
          f"supprimés : {len(result.removed)} ; inchangés : {len(result.unchanged)}\n")
    for c in result.added:
        print(f"+ Indicateur {c.number} — {c.title} (nouveau) : {c.summary or ''}")
    for n in result.removed:
        print(f"- Indicateur {n} supprimé")
    for c in result.changed:
        print(f"~ Indicateur {c.number} — {c.title} ({c.kind.label}) : {c.summary or ''}")
        if c.uncertain:
            print(f"    incertain : {c.uncertain}")
    return 0
