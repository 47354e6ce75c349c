"""``workbench report CLIENT`` and ``workbench actions generate|list|export|import``.

This module is imported for ``workbench report`` before anything else (see ``workbench.cli``): it
imports the workspace, the store and the report pipeline only inside the commands, so that a report
made by the workspace's report service (:mod:`workbench.reports.service`) starts in a fraction of
a second.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.errors import UsageError
from workbench.reports.service import ENV_SWITCH, request_report, workspace_path

if TYPE_CHECKING:
    from workbench.services.workspace import Workspace


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    rp = sub.add_parser("report", parents=[parent], help="générer le rapport client (HTML, PDF, Word, Excel)")
    rp.add_argument("client", metavar="CLIENT", help="identifiant du client")
    rp.add_argument("--mission", metavar="ID", help="mission (défaut : la dernière du client)")
    rp.add_argument("--formats", default="html,pdf,docx,xlsx", metavar="html,pdf,docx,xlsx",
                    help="formats à produire, séparés par des virgules (défaut : html,pdf,docx,xlsx)")
    rp.add_argument("--final", action="store_true",
                    help="version envoyée au client : numérotée et conservée dans reports/CLIENT/envoyes/, "
                         "jamais remplacée par une génération ultérieure")
    rp.add_argument("--no-service", action="store_true",
                    help="faire le rapport dans cette commande même si le service de rapports de l'espace tourne "
                         f"(aussi : {ENV_SWITCH}=0)")
    rp.set_defaults(func=cmd_report)

    ap = sub.add_parser("actions", help="plan d'actions d'une mission")
    asub = ap.add_subparsers(dest="actions_command", metavar="SOUS-COMMANDE", parser_class=type(ap))
    asub.required = True

    gp = asub.add_parser("generate", parents=[parent], help="ajouter au plan les actions des écarts (sans doublon)")
    gp.add_argument("client", metavar="CLIENT")
    gp.add_argument("--mission", metavar="ID")
    gp.set_defaults(func=cmd_generate)

    lp = asub.add_parser("list", parents=[parent], help="afficher le plan d'actions")
    lp.add_argument("client", metavar="CLIENT")
    lp.add_argument("--mission", metavar="ID")
    lp.set_defaults(func=cmd_list)

    ep = asub.add_parser("export", parents=[parent], help="exporter le plan d'actions en Excel")
    ep.add_argument("client", metavar="CLIENT")
    ep.add_argument("--mission", metavar="ID")
    ep.add_argument("-o", "--output", required=True, metavar="FICHIER.xlsx", help="fichier Excel à écrire")
    ep.add_argument("--force", action="store_true", help="remplacer le fichier s'il existe déjà")
    ep.set_defaults(func=cmd_export)

    adp = asub.add_parser("add", parents=[parent], help="ajouter une action au plan")
    adp.add_argument("client", metavar="CLIENT")
    adp.add_argument("--mission", metavar="ID")
    adp.add_argument("--indicator", required=True, type=int, metavar="N", help="numéro de l'indicateur")
    adp.add_argument("--title", required=True, metavar="TEXTE", help="intitulé de l'action")
    adp.add_argument("--priority", type=int, default=2, metavar="1-4",
                     help="1 NC majeure, 2 NC mineure, 3 non évalué, 4 preuve à actualiser (défaut : 2)")
    _action_fields(adp)
    adp.set_defaults(func=cmd_add)

    edp = asub.add_parser("edit", parents=[parent], help="modifier une action (responsable, échéance, statut…)")
    edp.add_argument("client", metavar="CLIENT")
    edp.add_argument("action_id", type=int, metavar="ID", help="numéro de l'action (workbench actions list)")
    edp.add_argument("--mission", metavar="ID")
    edp.add_argument("--title", metavar="TEXTE", help="intitulé")
    edp.add_argument("--priority", type=int, metavar="1-4", help="priorité")
    edp.add_argument("--status", metavar="STATUT", help="a_faire, en_cours, fait ou abandonne")
    _action_fields(edp)
    edp.set_defaults(func=cmd_edit)

    abp = asub.add_parser("abandon", parents=[parent], help="abandonner une action (elle reste dans l'historique)")
    abp.add_argument("client", metavar="CLIENT")
    abp.add_argument("action_id", type=int, metavar="ID")
    abp.add_argument("--mission", metavar="ID")
    abp.add_argument("--reason", default="", metavar="TEXTE", help="raison, ajoutée au commentaire")
    abp.set_defaults(func=cmd_abandon)

    ip = asub.add_parser("import", parents=[parent], help="reprendre responsables, échéances, statuts et commentaires d'un fichier Excel")
    ip.add_argument("client", metavar="CLIENT")
    ip.add_argument("file", metavar="FICHIER.xlsx")
    ip.add_argument("--mission", metavar="ID")
    ip.add_argument("--force", action="store_true",
                    help="appliquer les valeurs du fichier même si elles ont été modifiées dans l'application "
                         "depuis l'export (l'historique garde l'ancienne valeur)")
    ip.set_defaults(func=cmd_import)


def _action_fields(p: argparse.ArgumentParser) -> None:
    p.add_argument("--detail", metavar="TEXTE", help="détail")
    p.add_argument("--owner", metavar="NOM", help="responsable (nom ou fonction)")
    p.add_argument("--due", metavar="AAAA-MM-JJ", help="échéance")
    p.add_argument("--comment", metavar="TEXTE", help="commentaire")


def _action_line(action, numbers: dict[str, int]) -> str:  # noqa: ANN001
    from workbench.core.dates import fr_date

    return (f"Action {action.id} (indicateur {numbers.get(action.indicator_id, '?')}) : {action.title} — "
            f"{action.status.label}, responsable {action.owner or '—'}, échéance {fr_date(action.due_date)}.")


def cmd_add(args: argparse.Namespace) -> int:
    from workbench.cli.common import open_workspace, parse_date
    from workbench.domain.profile import validate_client_id
    from workbench.services.action_edits import add_action

    validate_client_id(args.client)
    due = parse_date(args.due, "échéance") if args.due else None
    with open_workspace(args) as ws:
        mission = ws.resolve_mission(args.client, args.mission)
        action = add_action(ws, mission, number=args.indicator, title=args.title, detail=args.detail or "",
                            owner=args.owner or "", due_date=due, priority=args.priority, comment=args.comment or "")
        numbers = {i.id: i.number for i in ws.library.get(mission.referential_id).indicators}
    print("Ajoutée — " + _action_line(action, numbers))
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    from workbench.cli.common import open_workspace, parse_date
    from workbench.domain.profile import validate_client_id
    from workbench.services.action_edits import edit_action, parse_status

    validate_client_id(args.client)
    changes = {"title": args.title, "detail": args.detail, "owner": args.owner, "comment": args.comment,
               "priority": args.priority,
               "due_date": parse_date(args.due, "échéance") if args.due else None,
               "status": parse_status(args.status) if args.status else None}
    with open_workspace(args) as ws:
        mission = ws.resolve_mission(args.client, args.mission)
        action = edit_action(ws, mission, args.action_id, **changes)
        numbers = {i.id: i.number for i in ws.library.get(mission.referential_id).indicators}
    print("Modifiée — " + _action_line(action, numbers))
    return 0


def cmd_abandon(args: argparse.Namespace) -> int:
    from workbench.cli.common import open_workspace
    from workbench.domain.profile import validate_client_id
    from workbench.services.action_edits import abandon_action

    validate_client_id(args.client)
    with open_workspace(args) as ws:
        mission = ws.resolve_mission(args.client, args.mission)
        action = abandon_action(ws, mission, args.action_id, args.reason)
        numbers = {i.id: i.number for i in ws.library.get(mission.referential_id).indicators}
    print("Abandonnée (conservée dans l'historique) — " + _action_line(action, numbers))
    return 0


def _workspace(args: argparse.Namespace) -> Workspace:
    from workbench.domain.profile import validate_client_id
    from workbench.services.workspace import Workspace

    validate_client_id(args.client)
    return Workspace.open(getattr(args, "workspace", None))


def cmd_report(args: argparse.Namespace) -> int:
    if not args.no_service and os.environ.get(ENV_SWITCH, "").strip() != "0":
        made = request_report(workspace_path(getattr(args, "workspace", None)), args.client, args.mission,
                              args.formats, final=args.final)
        if made.result is not None:
            return _print_served(args, made.result)
        if made.warning:
            print(made.warning, file=sys.stderr)
    return _report_locally(args)


def _report_locally(args: argparse.Namespace) -> int:
    from workbench.cli.common import open_workspace
    from workbench.core.settings import default_identity_warning
    from workbench.reports.pipeline import generate_report, parse_formats

    formats = parse_formats(args.formats)
    with open_workspace(args) as ws:
        warning = default_identity_warning(ws.settings.branding)
        if warning:
            print(warning, file=sys.stderr)
        result = generate_report(ws, args.client, args.mission, formats, final=args.final)
    _print_report(args, result.client_id, result.mission_id, result.seconds, result.plan.summary(),
                  {k: str(v) for k, v in result.paths.items()}, str(result.notebook))
    return 0


def _print_served(args: argparse.Namespace, result: dict) -> int:
    if result.get("branding_warning"):
        print(result["branding_warning"], file=sys.stderr)
    _print_report(args, result["client"], result["mission"], float(result["seconds"]), result["summary"],
                  result["paths"], result["notebook"])
    print(f"  Fait par le service de rapports de cet espace (processus {result['service_pid']}, noyau et "
          "navigateur déjà démarrés).")
    return 0


def _print_report(args: argparse.Namespace, client: str, mission: str, seconds: float, summary: str,
                  paths: dict[str, str], notebook: str) -> None:
    print(f"Rapport du client {client}, mission {mission} ({str(round(seconds, 1)).replace('.', ',')} s) :")
    print(f"  {summary}")
    if args.final:
        print("  Version envoyée conservée (ne sera jamais remplacée) :")
    for name, path in paths.items():
        print(f"  {name.upper():5} {path}")
    print(f"  Notebook exécuté : {notebook}")


def cmd_generate(args: argparse.Namespace) -> int:
    from workbench.cli.common import open_workspace
    from workbench.services.analysis import update_plan

    with open_workspace(args) as ws:
        data, result = update_plan(ws, args.client, args.mission)
    print(f"Mission {data.mission.id} : {result.summary()}")
    for action in result.obsolete:
        print(f"  À revoir (écart disparu) : action {action.id} — {action.title}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from workbench.cli.common import open_workspace, print_table
    from workbench.core.dates import fr_date

    with open_workspace(args) as ws:
        mission = ws.resolve_mission(args.client, args.mission)
        actions = ws.store.list_actions(mission.id)
        ref = ws.library.get(mission.referential_id)
    numbers = {i.id: i.number for i in ref.indicators}
    if not actions:
        print(f"Mission {mission.id} : aucune action. Générez le plan : workbench actions generate {args.client}")
        return 0
    print_table(["ID", "Prio.", "Ind.", "Action", "Responsable", "Échéance", "Statut"],
                [[a.id, a.priority, numbers.get(a.indicator_id, a.indicator_id), a.title, a.owner,
                  fr_date(a.due_date), a.status.label] for a in actions])
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from workbench.cli.common import open_workspace
    from workbench.reports.excel import export_action_plan

    output = Path(args.output)
    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"le fichier de sortie doit avoir l'extension .xlsx : « {args.output} ».")
    with open_workspace(args) as ws:
        mission = ws.resolve_mission(args.client, args.mission)
        profile = ws.store.get_client(args.client)
        path = export_action_plan(output, mission=mission, client_name=profile.name,
                                  actions=ws.store.list_actions(mission.id),
                                  referential=ws.library.get(mission.referential_id),
                                  primary_color=ws.settings.branding.primary_color, overwrite=args.force)
    print(f"Plan d'actions de la mission {mission.id} exporté : {path}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from workbench.cli.common import open_workspace
    from workbench.reports.excel import import_action_plan

    with open_workspace(args) as ws:
        mission = ws.resolve_mission(args.client, args.mission)
        report = import_action_plan(ws.store, mission, Path(args.file), force=args.force,
                                    referential=ws.library.get(mission.referential_id))
    print(report.text())
    return 0
