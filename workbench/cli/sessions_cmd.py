"""``workbench sessions …``: session records, sampling and the review of session files."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli.common import open_workspace, print_json, print_table
from workbench.core.errors import UsageError
from workbench.domain.checklist import parse_status
from workbench.domain.profile import validate_client_id
from workbench.domain.sampling import STRATUM_LABELS, parse_period
from workbench.domain.sessions import parse_column_option

PARTIAL_EXIT = 2
"""``sessions import`` exit code when some lines were refused (the good ones are saved)."""


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("sessions", parents=[parent],
                       help="sessions du client : import, échantillon, revue des dossiers")
    ss = p.add_subparsers(dest="sessions_command", metavar="ACTION", parser_class=type(p))
    ss.required = True

    t = ss.add_parser("template", parents=[parent], help="écrire le modèle Excel d'import des sessions")
    t.add_argument("-o", "--output", metavar="FICHIER", default="modele-sessions.xlsx",
                   help="fichier à créer (défaut : modele-sessions.xlsx)")
    t.add_argument("--force", action="store_true", help="remplacer un fichier existant")
    t.set_defaults(func=cmd_template)

    i = ss.add_parser("import", parents=[parent], help="importer les sessions d'un fichier CSV ou Excel",
                      description="Importe les sessions d'un fichier CSV (; , ou tabulation) ou Excel. Les lignes "
                                  "valables sont enregistrées, mises à jour par leur référence ; chaque ligne "
                                  f"refusée est signalée avec son numéro et la raison (code de sortie {PARTIAL_EXIT}).")
    i.add_argument("client", metavar="CLIENT")
    i.add_argument("file", metavar="FICHIER", type=Path)
    i.add_argument("--mapping", metavar="FICHIER.yaml", type=Path, default=None,
                   help="correspondance des colonnes d'un export d'un autre logiciel (clés colonnes: et valeurs:)")
    i.add_argument("--colonne", action="append", default=[], metavar="NOTRE=LEUR",
                   help="correspondance d'une colonne, ex. « Référence=ID session » (répétable)")
    i.add_argument("--json", action="store_true", help="résultat en JSON")
    i.set_defaults(func=cmd_import)

    ls = ss.add_parser("list", parents=[parent], help="lister les sessions d'un client")
    ls.add_argument("client", metavar="CLIENT")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)

    s = ss.add_parser("sample", parents=[parent], help="tirer l'échantillon de dossiers et l'enregistrer dans la mission",
                      description="Tirage reproductible (même graine, même échantillon) qui couvre catégories, sites, "
                                  "formateurs, financements, sessions certifiantes et sous-traitées. Taille par défaut : "
                                  "heuristique du projet (max(5, √N), portée à ce qu'il faut pour couvrir chaque strate).")
    s.add_argument("client", metavar="CLIENT")
    s.add_argument("--mission", metavar="ID", default=None, help="mission (défaut : la plus récente)")
    s.add_argument("--size", type=int, default=None, metavar="N", help="nombre de dossiers")
    s.add_argument("--seed", type=int, default=None, metavar="S", help="graine (défaut : tirée au hasard et affichée)")
    s.add_argument("--period", default=None, metavar="DEBUT..FIN", help="période, ex. 2026-01-01..2026-06-30")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_sample)

    c = ss.add_parser("checklist", parents=[parent], help="points de contrôle d'un dossier et leur statut")
    c.add_argument("client", metavar="CLIENT")
    c.add_argument("reference", metavar="REFERENCE")
    c.add_argument("--mission", metavar="ID", default=None)
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_checklist)

    r = ss.add_parser("review", parents=[parent], help="noter un point d'un dossier (présent, manquant, sans objet)")
    r.add_argument("client", metavar="CLIENT")
    r.add_argument("reference", metavar="REFERENCE")
    r.add_argument("item", metavar="POINT", help="identifiant du point (voir « sessions checklist »)")
    r.add_argument("--status", default=None, metavar="STATUT",
                   help="présent, manquant, sans objet ou non vérifié")
    r.add_argument("--note", default=None, help="remarque")
    r.add_argument("--evidence", default=None, metavar="PREUVE", help="preuve vue (document, lieu, date)")
    r.add_argument("--private-note", default=None, metavar="NOTE",
                   help="note privée du consultant (jamais dans le rapport ni la grille du client)")
    r.add_argument("--mission", metavar="ID", default=None)
    r.set_defaults(func=cmd_review)

    res = ss.add_parser("results", parents=[parent], help="résultats de la revue : par dossier et par indicateur")
    res.add_argument("client", metavar="CLIENT")
    res.add_argument("--mission", metavar="ID", default=None)
    res.add_argument("--json", action="store_true")
    res.set_defaults(func=cmd_results)

    e = ss.add_parser("export-checklist", parents=[parent], help="grille Excel d'auto-revue pour le client")
    e.add_argument("client", metavar="CLIENT")
    e.add_argument("-o", "--output", metavar="FICHIER", type=Path, required=True)
    e.add_argument("--mission", metavar="ID", default=None)
    e.add_argument("--force", action="store_true", help="remplacer un fichier existant")
    e.set_defaults(func=cmd_export_checklist)

    m = ss.add_parser("import-checklist", parents=[parent], help="reprendre la grille Excel remplie par le client")
    m.add_argument("client", metavar="CLIENT")
    m.add_argument("file", metavar="FICHIER", type=Path)
    m.add_argument("--mission", metavar="ID", default=None)
    m.add_argument("--force", action="store_true",
                   help="appliquer le fichier même sur une valeur modifiée dans l'application depuis l'export")
    m.set_defaults(func=cmd_import_checklist)

    a = ss.add_parser("app", parents=[parent], help="ouvrir la revue des dossiers dans le navigateur (Voilà, adresse à jeton)")
    a.add_argument("client", metavar="CLIENT")
    a.add_argument("--mission", metavar="ID", default=None)
    a.add_argument("--port", type=int, default=8868, metavar="N", help="port local (défaut : 8868)")
    a.add_argument("--no-browser", action="store_true", help="ne pas ouvrir le navigateur automatiquement")
    a.set_defaults(func=cmd_app)


def cmd_template(args: argparse.Namespace) -> int:
    from workbench.reports.session_excel import write_template

    path = write_template(Path(args.output), overwrite=args.force)
    print(f"Modèle d'import écrit : {path}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from workbench.services.sessions import import_sessions, load_mapping

    client = validate_client_id(args.client)
    mapping = load_mapping(args.mapping, [parse_column_option(c) for c in args.colonne])
    with open_workspace(args) as ws:
        report = import_sessions(ws, client, args.file, mapping)
    if args.json:
        print_json(report.to_dict())
    else:
        print("\n".join(report.lines()))
    return PARTIAL_EXIT if report.parsed.errors else 0


def cmd_list(args: argparse.Namespace) -> int:
    from workbench.services.sessions import repository

    client = validate_client_id(args.client)
    with open_workspace(args) as ws:
        ws.store.get_client(client)
        sessions = repository(ws).list(client)
    if args.json:
        print_json([s.model_dump(mode="json") for s in sessions])
        return 0
    if not sessions:
        print(f"Aucune session pour {client}. Importez-les : workbench sessions import {client} fichier.xlsx")
        return 0
    rows = [[s.reference, s.title, s.category.value, f"{s.start:%d/%m/%Y}", s.site or "—",
             ", ".join(s.trainers) or "—", ", ".join(f.label for f in s.funding) or "—",
             "oui" if s.certifying else "non", "oui" if s.subcontracted else "non", s.modality.label]
            for s in sessions]
    print_table(["Référence", "Intitulé", "Cat.", "Début", "Site", "Formateurs", "Financements", "Certif.",
                 "Sous-tr.", "Modalité"], rows, max_width=30)
    print(f"\n{len(sessions)} session(s).")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from workbench.services.sessions import draw_for_mission

    client = validate_client_id(args.client)
    period = parse_period(args.period) if args.period else None
    with open_workspace(args) as ws:
        mission, sample = draw_for_mission(ws, client, args.mission, size=args.size, seed=args.seed, period=period)
    if args.json:
        print_json({"mission": mission.id, **sample.to_dict(), "description": sample.describe()})
        return 0
    print(f"Échantillon enregistré dans la mission {mission.id} : {', '.join(sample.references)}")
    print(sample.describe())
    for stratum, values in sample.coverage.items():
        print(f"  {STRATUM_LABELS[stratum]} : " + " ; ".join(f"{v} ({', '.join(refs)})" for v, refs in values.items()))
    for stratum, values in sample.uncovered.items():
        print(f"  Non couvert — {STRATUM_LABELS[stratum]} : {', '.join(values)}")
    print(f"Pour retrouver le même échantillon : --seed {sample.seed}"
          + (f" --size {sample.size}" if args.size else "") + (f" --period {args.period}" if args.period else ""))
    return 0


def cmd_checklist(args: argparse.Namespace) -> int:
    from workbench.services.sessions import mission_review

    client = validate_client_id(args.client)
    with open_workspace(args) as ws:
        review = mission_review(ws, client, args.mission)
    if review.results is None:
        raise UsageError(f"Aucun échantillon pour la mission {review.mission.id} : "
                         f"workbench sessions sample {client}")
    review.session(args.reference)
    result = next(f for f in review.results.files if f.session.reference == args.reference)
    if args.json:
        print_json([{"item": ln.item.id, "phase": ln.item.phase, "label": ln.item.label,
                     "indicators": list(ln.item.indicators), "status": ln.status.value, "note": ln.note,
                     "evidence": ln.evidence, "uncertain": ln.item.uncertain} for ln in result.lines])
        return 0
    print(f"Dossier {result.session.label()} — mission {review.mission.id}")
    rows = [[review.checklist.phase_label(ln.item.phase), ln.item.id, ln.item.label,
             ", ".join(map(str, ln.item.indicators)) or "—", ln.status.label, ln.evidence or ln.note or ""]
            for ln in result.lines]
    print_table(["Phase", "Point", "Libellé", "Ind.", "Statut", "Preuve vue / note"], rows, max_width=50)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from workbench.services.sessions import save_item_reviews

    client = validate_client_id(args.client)
    fields: dict = {}
    if args.status is not None:
        fields["status"] = parse_status(args.status)
    if args.note is not None:
        fields["note"] = args.note.strip()
    if args.evidence is not None:
        fields["evidence"] = args.evidence.strip()
    if args.private_note is not None:
        fields["private_note"] = args.private_note.strip()
    if not fields:
        raise UsageError("Indiquez au moins --status, --note, --evidence ou --private-note.")
    with open_workspace(args) as ws:
        mission = ws.resolve_mission(client, args.mission)
        saved, after = save_item_reviews(ws, client, mission.id, [(args.reference, args.item, fields)])
    r = saved[0]
    print(f"Enregistré : {r.reference} / {r.item_id} — {r.status.label}"
          + (f" — preuve vue : {r.evidence}" if r.evidence else "") + (f" — note : {r.note}" if r.note else ""))
    res = after.results
    if res is not None:
        print(f"Revue : {res.reviewed} dossier(s) sur {len(res.files)} entièrement vérifié(s), "
              f"{res.complete} complet(s).")
        if after.completed_on and res.finished:
            print(f"Revue terminée le {after.completed_on:%d/%m/%Y}.")
    return 0


def cmd_results(args: argparse.Namespace) -> int:
    from workbench.services.sessions import mission_review

    client = validate_client_id(args.client)
    with open_workspace(args) as ws:
        review = mission_review(ws, client, args.mission)
    res = review.results
    if res is None or review.sample is None:
        raise UsageError(f"Aucun échantillon pour la mission {review.mission.id} : workbench sessions sample {client}")
    if args.json:
        print_json({
            "mission": review.mission.id, "sample": review.sample.to_dict(),
            "completed_on": review.completed_on.isoformat() if review.completed_on else None,
            "files": [{"reference": f.session.reference, "present": f.present, "missing": f.missing,
                       "not_applicable": f.not_applicable, "unchecked": f.unchecked, "complete": f.complete,
                       "missing_items": [ln.item.id for ln in f.missing_items]} for f in res.files],
            "items": [{"item": t.item.id, "checked": t.checked, "lacking": list(t.lacking), "message": t.message}
                      for t in res.items],
            "indicators": [{"indicator": f.number, "checked": f.checked, "lacking": list(f.lacking),
                            "suggested": f.suggested.value, "current": f.current.value if f.current else None,
                            "message": f.message} for f in res.indicators],
            "missing_references": list(res.missing_references),
        })
        return 0
    print(f"Revue des dossiers — mission {review.mission.id} : {review.sample.describe()}")
    rows = [[f.session.reference, f.session.category.value, f.present, f.missing, f.not_applicable, f.unchecked,
             "oui" if f.complete else "non", ", ".join(ln.item.label for ln in f.missing_items) or "—"]
            for f in res.files]
    print_table(["Dossier", "Cat.", "Présents", "Manquants", "Sans objet", "Non vérifiés", "Complet", "Manque"],
                rows, max_width=60)
    if res.findings:
        print("\nPar indicateur (verdict suggéré, jamais appliqué automatiquement) :")
        for f in res.findings:
            print(f"  Indicateur {f.number} — {f.message}")
    if res.missing_references:
        print(f"\nSessions de l'échantillon introuvables : {', '.join(res.missing_references)}.")
    return 0


def cmd_export_checklist(args: argparse.Namespace) -> int:
    from workbench.reports.session_excel import export_checklist
    from workbench.services.sessions import mission_review

    client = validate_client_id(args.client)
    with open_workspace(args) as ws:
        review = mission_review(ws, client, args.mission)
        path = export_checklist(args.output, review, ws.store.get_client(client).name, overwrite=args.force)
    print(f"Grille d'auto-revue écrite : {path} (mission {review.mission.id})")
    return 0


def cmd_import_checklist(args: argparse.Namespace) -> int:
    from workbench.reports.session_excel import import_checklist

    client = validate_client_id(args.client)
    with open_workspace(args) as ws:
        report = import_checklist(ws, client, args.mission, args.file, force=args.force)
    print("\n".join(report.lines()))
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    """Serve the review like the dashboard (one client, loopback, token), with a writable store."""
    from workbench.apps.sessions.launch import review_app
    from workbench.apps.voila import kernel_env
    from workbench.cli.common import settings_from
    from workbench.cli.serve import check_port, serve_with_token
    from workbench.services.sessions import mission_review

    client = validate_client_id(args.client)
    settings = settings_from(args)
    with open_workspace(args) as ws:  # checks the client, the mission and the sample before serving
        review = mission_review(ws, client, args.mission)
    if review.sample is None:
        raise UsageError(f"Aucun échantillon pour la mission {review.mission.id} : workbench sessions sample {client}")
    check_port(args.port)

    def announce(url: str) -> None:
        print(f"Revue des dossiers de {client}, mission {review.mission.id} :")
        print(f"  {url}")
        print("Chaque modification est enregistrée aussitôt. Ctrl+C pour arrêter.", flush=True)

    code = serve_with_token(lambda token: review_app(settings.workspace, client, review.mission.id, token),
                            args.port, kernel_env(settings, client_facing=True), open_browser=not args.no_browser,
                            announce=announce)
    print("Revue des dossiers fermée ; tout est enregistré dans l'espace de travail.")
    return code
