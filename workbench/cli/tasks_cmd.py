"""``workbench tasks list|done|add|edit|retire|history|export|import``: the recurring-task plan."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from pydantic import ValidationError

from workbench.cli.common import open_workspace, parse_date, print_json, print_table
from workbench.core.dates import fr_date
from workbench.core.errors import UsageError
from workbench.domain.profile import validate_client_id
from workbench.domain.tasks import MAX_FREQUENCY_MONTHS, PlanTask, TaskStatus, slugify, validate_task_id
from workbench.services import lifecycle
from workbench.store import tasks as task_store

STATUS_MARK = {TaskStatus.OK: "à jour", TaskStatus.DUE_SOON: "bientôt", TaskStatus.OVERDUE: "EN RETARD"}


def today_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--today", metavar="AAAA-MM-JJ",
                   help="date de référence des échéances et des retards (défaut : aujourd'hui)")


def today_from(args: argparse.Namespace) -> dt.date:
    return parse_date(args.today, "date de référence (--today)") if getattr(args, "today", None) else dt.date.today()


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("tasks", help="plan des tâches qualité récurrentes d'un client")
    tsub = p.add_subparsers(dest="tasks_command", metavar="SOUS-COMMANDE", parser_class=type(p))
    tsub.required = True

    lp = tsub.add_parser("list", parents=[parent], help="tâches du plan, avec échéance et état")
    lp.add_argument("client", metavar="CLIENT")
    lp.add_argument("--all", action="store_true", help="inclure les tâches retirées")
    lp.add_argument("--json", action="store_true", help="sortie JSON")
    today_option(lp)
    lp.set_defaults(func=cmd_list)

    dp = tsub.add_parser("done", parents=[parent], help="enregistrer qu'une tâche a été faite")
    dp.add_argument("client", metavar="CLIENT")
    dp.add_argument("task", metavar="TÂCHE", help="identifiant de la tâche (voir tasks list)")
    dp.add_argument("--date", metavar="AAAA-MM-JJ", help="date de réalisation (défaut : aujourd'hui)")
    dp.add_argument("--evidence", metavar="LIBELLÉ", help="preuve conservée (enregistrée pour l'analyse des écarts)")
    dp.add_argument("--represents", metavar="AAAA-MM-JJ",
                    help="date que la preuve représente (défaut : la date de réalisation)")
    dp.add_argument("--by", metavar="NOM", help="qui l'a faite (défaut : l'utilisateur courant)")
    dp.add_argument("--note", metavar="TEXTE", default="", help="remarque libre")
    dp.add_argument("--json", action="store_true", help="sortie JSON")
    today_option(dp)
    dp.set_defaults(func=cmd_done)

    ap = tsub.add_parser("add", parents=[parent], help="ajouter une tâche au plan du client")
    ap.add_argument("client", metavar="CLIENT")
    ap.add_argument("--title", required=True, metavar="INTITULÉ")
    ap.add_argument("--id", dest="task_id", metavar="ID", help="identifiant (défaut : tiré de l'intitulé)")
    _task_options(ap)
    ap.set_defaults(func=cmd_add)

    ep = tsub.add_parser("edit", parents=[parent], help="modifier une tâche (fréquence, responsable…)")
    ep.add_argument("client", metavar="CLIENT")
    ep.add_argument("task", metavar="TÂCHE")
    ep.add_argument("--title", metavar="INTITULÉ")
    _task_options(ep)
    ep.add_argument("--comment", metavar="TEXTE")
    ep.set_defaults(func=cmd_edit)

    rp = tsub.add_parser("retire", parents=[parent], help="retirer une tâche du plan (ou la réactiver)")
    rp.add_argument("client", metavar="CLIENT")
    rp.add_argument("task", metavar="TÂCHE")
    rp.add_argument("--undo", action="store_true", help="réactiver une tâche retirée")
    rp.set_defaults(func=cmd_retire)

    hp = tsub.add_parser("history", parents=[parent], help="historique du plan (qui, quand, avant, après)")
    hp.add_argument("client", metavar="CLIENT")
    hp.add_argument("task", metavar="TÂCHE", nargs="?")
    hp.add_argument("--json", action="store_true", help="sortie JSON")
    hp.set_defaults(func=cmd_history)

    xp = tsub.add_parser("export", parents=[parent], help="exporter le plan en Excel pour le client")
    xp.add_argument("client", metavar="CLIENT")
    xp.add_argument("-o", "--output", required=True, metavar="FICHIER.xlsx")
    xp.add_argument("--force", action="store_true", help="remplacer le fichier s'il existe déjà")
    today_option(xp)
    xp.set_defaults(func=cmd_export)

    ip = tsub.add_parser("import", parents=[parent], help="reprendre les réalisations saisies dans le fichier Excel")
    ip.add_argument("client", metavar="CLIENT")
    ip.add_argument("file", metavar="FICHIER.xlsx")
    ip.add_argument("--force", action="store_true",
                    help="appliquer le fichier même pour les tâches modifiées dans l'application depuis l'export")
    today_option(ip)
    ip.set_defaults(func=cmd_import)


def _task_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--what", metavar="TEXTE", help="ce qu'il faut faire")
    p.add_argument("--indicators", metavar="N,N…", help="numéros des indicateurs servis (ex. : 23,24)")
    p.add_argument("--owner", metavar="RESPONSABLE")
    p.add_argument("--frequency", type=int, metavar="MOIS", help=f"fréquence en mois (1 à {MAX_FREQUENCY_MONTHS})")
    p.add_argument("--proof", metavar="TEXTE", help="preuve à conserver")
    p.add_argument("--start", metavar="AAAA-MM-JJ", help="première échéance tant que la tâche n'a jamais été faite")


def _indicators(raw: str) -> tuple[int, ...]:
    out = []
    for part in raw.split(","):
        token = part.strip()
        if not token:
            continue
        if not token.isdigit() or not 1 <= int(token) <= 40:
            raise UsageError(f"numéro d'indicateur invalide : « {token} » (ex. : --indicators 23,24).")
        out.append(int(token))
    return tuple(dict.fromkeys(out))


def _changes(args: argparse.Namespace) -> dict:
    changes: dict = {}
    if args.title is not None:
        changes["title"] = args.title.strip()
    if args.what is not None:
        changes["what"] = args.what.strip()
    if args.indicators is not None:
        changes["indicators"] = _indicators(args.indicators)
    if args.owner is not None:
        changes["owner"] = args.owner.strip()
    if args.frequency is not None:
        if not 1 <= args.frequency <= MAX_FREQUENCY_MONTHS:
            raise UsageError(f"fréquence invalide : {args.frequency} mois (de 1 à {MAX_FREQUENCY_MONTHS}).")
        changes["frequency_months"] = args.frequency
    if args.proof is not None:
        changes["proof"] = args.proof.strip()
    if args.start is not None:
        changes["start_date"] = parse_date(args.start, "première échéance (--start)")
    if getattr(args, "comment", None) is not None:
        changes["comment"] = args.comment.strip()
    return changes


def cmd_list(args: argparse.Namespace) -> int:
    client = validate_client_id(args.client)
    today = today_from(args)
    with open_workspace(args) as ws:
        views = lifecycle.task_views(ws, client, today, include_retired=args.all)
    if args.json:
        print_json([v.to_dict() for v in views])
        return 0
    late = sum(v.status == TaskStatus.OVERDUE and not v.task.retired for v in views)
    print(f"Plan des tâches récurrentes de « {client} » au {fr_date(today)} : {len(views)} tâche(s), {late} en retard.")
    print_table(["Tâche", "Intitulé", "Ind.", "Fréq.", "Dernière fois", "Échéance", "État", "Responsable"],
                [[v.id, v.task.title, ",".join(map(str, v.task.indicators)), f"{v.task.frequency_months} m",
                  fr_date(v.last_done), fr_date(v.next_due),
                  "retirée" if v.task.retired else STATUS_MARK[v.status], v.task.owner] for v in views],
                max_width=48)
    return 0


def cmd_done(args: argparse.Namespace) -> int:
    client = validate_client_id(args.client)
    task_id = validate_task_id(args.task)
    today = today_from(args)
    done_on = parse_date(args.date, "date de réalisation (--date)") if args.date else today
    represents = parse_date(args.represents, "date représentée (--represents)") if args.represents else None
    if represents and not args.evidence:
        raise UsageError("--represents n'a de sens qu'avec --evidence (la preuve dont c'est la date).")
    with open_workspace(args) as ws:
        saved = lifecycle.mark_task_done(ws, client, task_id, done_on=done_on, by=args.by,
                                         evidence_label=args.evidence, represents_date=represents,
                                         note=args.note, today=today)
        view = next(v for v in lifecycle.task_views(ws, client, today) if v.id == task_id)
    if args.json:
        print_json(saved.model_dump(mode="json") | {"next_due": view.next_due.isoformat(),
                                                    "status": view.status.value})
        return 0
    print(f"Tâche « {view.task.title} » faite le {fr_date(saved.done_on)} par {saved.done_by}. "
          f"Prochaine échéance : {fr_date(view.next_due)}.")
    if saved.evidence_label:
        if saved.evidence_ids:
            print(f"Preuve « {saved.evidence_label} » (datée du {fr_date(saved.represents_date)}) enregistrée "
                  f"pour {len(saved.evidence_ids)} indicateur(s) dans la mission {saved.mission_id}.")
        else:
            print(f"Preuve « {saved.evidence_label} » notée avec la réalisation ; aucune mission du client ne "
                  "couvre ces indicateurs, elle n'entre donc pas dans l'analyse des écarts.")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    client = validate_client_id(args.client)
    today = dt.date.today()
    task_id = validate_task_id(args.task_id) if args.task_id else slugify(args.title)
    changes = _changes(args)
    with open_workspace(args) as ws:
        lifecycle.plan_tasks(ws, client, today)
        fields = {"title": args.title.strip(), "frequency_months": 12, "start_date": today} | changes
        try:
            task = PlanTask(client_id=client, id=task_id, **fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = str(first["loc"][0]) if first.get("loc") else "?"
            raise UsageError(f"tâche invalide, champ « {task_store.FIELD_LABELS.get(field, field)} » : "
                             f"{first.get('msg', 'valeur invalide')}.") from None
        task_store.add_tasks(ws.store, [task])  # type: ignore[arg-type]
    print(f"Tâche « {task.title} » ajoutée au plan de « {client} » (identifiant {task.id}), tous les "
          f"{task.frequency_months} mois, première échéance le {fr_date(task.start_date)}.")
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    client = validate_client_id(args.client)
    task_id = validate_task_id(args.task)
    changes = _changes(args)
    if not changes:
        raise UsageError("rien à modifier : indiquez au moins une option (--frequency, --owner, --title…).")
    with open_workspace(args) as ws:
        lifecycle.plan_tasks(ws, client, dt.date.today())
        before = task_store.get_task(ws.store, client, task_id)  # type: ignore[arg-type]
        after = task_store.update_task(ws.store, client, task_id, **changes)  # type: ignore[arg-type]
    changed = [f for f in changes if getattr(before, f) != getattr(after, f)]
    if not changed:
        print(f"Tâche « {task_id} » : aucune modification (valeurs identiques).")
    else:
        print(f"Tâche « {task_id} » modifiée : {', '.join(task_store.FIELD_LABELS.get(f, f) for f in changed)}.")
    return 0


def cmd_retire(args: argparse.Namespace) -> int:
    client = validate_client_id(args.client)
    task_id = validate_task_id(args.task)
    with open_workspace(args) as ws:
        lifecycle.plan_tasks(ws, client, dt.date.today())
        task_store.update_task(ws.store, client, task_id, retired=not args.undo)  # type: ignore[arg-type]
    print(f"Tâche « {task_id} » {'réactivée' if args.undo else 'retirée du plan (historique conservé)'}.")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    client = validate_client_id(args.client)
    with open_workspace(args) as ws:
        ws.store.get_client(client)
        if args.task:
            task_store.get_task(ws.store, client, validate_task_id(args.task))  # type: ignore[arg-type]
        entries = task_store.task_history(ws.store, client, args.task)  # type: ignore[arg-type]
    if args.json:
        print_json(entries)
        return 0
    if not entries:
        print(f"Aucune modification enregistrée pour le plan de « {client} ».")
        return 0
    labels = task_store.FIELD_LABELS | {"task": "création", "done": "réalisation"}
    print_table(["Quand", "Qui", "Tâche", "Champ", "Avant", "Après"],
                [[dt.datetime.fromisoformat(e["at"]).astimezone().strftime("%d/%m/%Y %H:%M"),
                  e["actor"] + (" [importé]" if e.get("imported_from") else ""), e["task_id"],
                  labels.get(e["field"], e["field"]), _short(e["before"]), _short(e["after"])] for e in entries],
                max_width=40)
    return 0


def _short(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        if "done_on" in value:
            return f"fait le {value['done_on']} par {value.get('done_by', '?')}"
        return value.get("title", "…")
    return str(value)


def cmd_export(args: argparse.Namespace) -> int:
    from workbench.reports.tasks_excel import export_task_plan

    client = validate_client_id(args.client)
    today = today_from(args)
    output = Path(args.output)
    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"le fichier de sortie doit avoir l'extension .xlsx : « {args.output} ».")
    with open_workspace(args) as ws:
        profile = ws.store.get_client(client)
        views = lifecycle.task_views(ws, client, today)
        path = export_task_plan(output, client_id=client, client_name=profile.name, views=views, today=today,
                                primary_color=ws.settings.branding.primary_color, overwrite=args.force)
    print(f"Plan des tâches récurrentes de « {client} » exporté : {path}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from workbench.reports.tasks_excel import import_task_plan

    client = validate_client_id(args.client)
    with open_workspace(args) as ws:
        report = import_task_plan(ws, client, Path(args.file), force=args.force, today=today_from(args))
    print(report.text())
    return 0
