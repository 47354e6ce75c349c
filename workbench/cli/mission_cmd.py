"""``workbench mission new|list|history``."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from typing import Any

from workbench.cli.common import open_workspace, parse_date, print_json, print_table
from workbench.core.dates import fr_date
from workbench.core.errors import ReferentialError, UsageError
from workbench.core.vocab import ActionStatus, AuditType, MissionType, Verdict, parse_enum
from workbench.domain.profile import validate_client_id
from workbench.domain.records import HistoryEntry, Mission
from workbench.referential.library import Referential


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("mission", help="missions d'un client (pré-audit, audit à blanc, préparations)")
    msub = p.add_subparsers(dest="mission_command", metavar="SOUS-COMMANDE", parser_class=type(p))
    msub.required = True

    np_ = msub.add_parser("new", parents=[parent], help="créer une mission pour un client")
    np_.add_argument("client", metavar="CLIENT", help="identifiant du client")
    np_.add_argument("--type", dest="mission_type", required=True, metavar="TYPE",
                     help="pre_audit, audit_blanc, prep_surveillance, prep_renouvellement ou point_suivi")
    np_.add_argument("--audit-date", required=True, metavar="AAAA-MM-JJ", help="date prévue de l'audit visé")
    np_.add_argument("--audit-type", metavar="TYPE",
                     help="initial, surveillance ou renouvellement (défaut : déduit du type de mission et du profil)")
    np_.add_argument("--version", dest="version_id", metavar="ID",
                     help="version du référentiel (défaut : celle en vigueur à la date de l'audit)")
    np_.add_argument("--label", metavar="LIBELLÉ", help="libellé libre de la mission")
    np_.add_argument("--json", action="store_true", help="sortie JSON")
    np_.set_defaults(func=cmd_new)

    lp = msub.add_parser("list", parents=[parent], help="missions (d'un client ou de tous)")
    lp.add_argument("client", metavar="CLIENT", nargs="?", help="identifiant du client (défaut : tous)")
    lp.add_argument("--json", action="store_true", help="sortie JSON")
    lp.set_defaults(func=cmd_list)

    up = msub.add_parser("update", parents=[parent],
                         help="modifier une mission : audit reporté, type changé, libellé (historique conservé)")
    up.add_argument("mission", metavar="MISSION", help="identifiant de la mission (ex. : formapro-lyon-m1)")
    up.add_argument("--audit-date", metavar="AAAA-MM-JJ", help="nouvelle date de l'audit visé")
    up.add_argument("--type", dest="mission_type", metavar="TYPE",
                    help="pre_audit, audit_blanc, prep_surveillance ou prep_renouvellement")
    up.add_argument("--audit-type", metavar="TYPE", help="initial, surveillance ou renouvellement")
    up.add_argument("--label", metavar="LIBELLÉ", help="libellé libre (vide pour l'effacer)")
    up.set_defaults(func=cmd_update)

    hp = msub.add_parser("history", parents=[parent], help="historique des modifications d'une mission")
    hp.add_argument("mission", metavar="MISSION", help="identifiant de la mission (ex. : formapro-lyon-m1)")
    hp.add_argument("--indicator", metavar="N", help="numéro de l'indicateur (ou identifiant complet)")
    hp.add_argument("--json", action="store_true", help="sortie JSON")
    hp.set_defaults(func=cmd_history)



def cmd_update(args: argparse.Namespace) -> int:
    from workbench.store.mission_edits import update_mission

    changes: dict[str, Any] = {}
    if args.audit_date:
        changes["audit_date"] = parse_date(args.audit_date, "date d'audit")
    if args.mission_type:
        changes["type"] = MissionType(parse_enum(MissionType, args.mission_type, "type de mission"))
    if args.audit_type:
        changes["audit_type"] = AuditType(parse_enum(AuditType, args.audit_type, "type d'audit"))
    if args.label is not None:
        changes["label"] = args.label.strip() or None
    if not changes:
        raise UsageError("rien à modifier : indiquez --audit-date, --type, --audit-type ou --label.")
    with open_workspace(args) as ws:
        before = ws.store.get_mission(args.mission)
        mission = update_mission(ws.store, before.id, **changes)  # type: ignore[arg-type]
        in_force = ws.library.for_date(mission.audit_date)
    print(f"Mission « {mission.id} » : {mission.type.label}, {mission.audit_type.label.lower()} prévu le "
          f"{fr_date(mission.audit_date)}{' — ' + mission.label if mission.label else ''}.")
    if in_force.id != mission.referential_id:
        print(f"Attention : à cette date, la version en vigueur du référentiel est {in_force.id} ; la mission "
              f"reste sur {mission.referential_id} (la changer est une migration explicite).")
    return 0


def _mission_dict(m: Mission) -> dict[str, Any]:
    return m.model_dump(mode="json")


def cmd_new(args: argparse.Namespace) -> int:
    client_id = validate_client_id(args.client)
    mission_type = MissionType(parse_enum(MissionType, args.mission_type, "type de mission"))
    audit_type = (AuditType(parse_enum(AuditType, args.audit_type, "type d'audit"))
                  if args.audit_type else None)
    audit_date = parse_date(args.audit_date, "date d'audit")
    with open_workspace(args, create=True) as ws:
        if args.version_id:
            ws.library.get(args.version_id)  # unknown version: clear message listing the known ones
        mission = ws.new_mission(client_id, mission_type=mission_type, audit_date=audit_date,
                                 audit_type=audit_type, referential_id=args.version_id, label=args.label)
        ref = ws.library.get(mission.referential_id)
        in_force = ws.library.for_date(audit_date)
        applicable = sum(a.applicable for a in ws.applicability(mission.id))
    if args.json:
        print_json(_mission_dict(mission) | {"referential_in_force": in_force.id, "applicable": applicable})
        return 0
    when = (f"visite prévue le {fr_date(mission.audit_date)} (document : workbench report {client_id} --mission "
            f"{mission.id})" if mission.type == MissionType.POINT_SUIVI
            else f"{mission.audit_type.label.lower()} prévu le {fr_date(mission.audit_date)}")
    print(f"Mission « {mission.id} » créée pour le client « {client_id} » : {mission.type.label}, {when}.")
    if mission.label:
        print(f"Libellé : {mission.label}")
    print(f"Référentiel : {ref.label} [{ref.id}]")
    if mission.referential_auto:
        print(f"  choisi automatiquement : version en vigueur le {fr_date(audit_date)}.")
    else:
        print(f"  choisi manuellement (--version) ; la version en vigueur le {fr_date(audit_date)} "
              f"est {in_force.id}.")
    if ref.status.value == "provisional":
        note = f" : {ref.status_note}" if ref.status_note else ""
        print(f"  Attention, référentiel {ref.status.label}{note}")
    print(f"Indicateurs applicables à ce client : {applicable} sur {len(ref.indicators)}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    client_id = validate_client_id(args.client) if args.client else None
    with open_workspace(args) as ws:
        if client_id:
            ws.store.get_client(client_id)  # unknown client: clear message
        missions = ws.store.list_missions(client_id)
    if args.json:
        print_json([_mission_dict(m) for m in missions])
        return 0
    if not missions:
        who = f"le client « {client_id} »" if client_id else "cet espace de travail"
        print(f"Aucune mission pour {who}.")
        return 0
    print_table(
        ["Mission", "Client", "Type", "Audit visé", "Date", "Référentiel", "Choix", "Libellé"],
        [[m.id, m.client_id, m.type.label, m.audit_type.label, fr_date(m.audit_date), m.referential_id,
          "auto" if m.referential_auto else "manuel", m.label or ""] for m in missions],
    )
    return 0


ENTITY_LABELS = {"answer": "réponse", "evidence": "preuve", "action": "action", "import": "import",
                 "client": "profil", "mission": "mission", "report": "rapport"}
FIELD_LABELS = {
    "verdict": "verdict", "finding": "constat", "private_notes": "notes privées", "na_justification": "justification non applicable",
    "responses": "réponses aux questions", "checklist": "preuves vérifiées", "respondent": "répondant",
    "evidence": "élément de preuve", "action": "action", "conflit": "conflit à l'import",
    "title": "intitulé", "detail": "détail", "priority": "priorité", "owner": "responsable",
    "status": "statut", "due_date": "échéance", "comment": "commentaire", "profile": "profil",
    "audit_date": "date d'audit", "type": "type de mission", "audit_type": "type d'audit", "label": "libellé",
    "summary": "synthèse", "conclusion": "conclusion", "visit": "visite", "signature": "signature",
    "sent": "version envoyée", "archived": "archivé",
}


def _indicator_filter(raw: str, ref: Referential) -> str:
    raw = raw.strip()
    try:
        return ref.indicator(int(raw)).id if raw.isdigit() else ref.by_id(raw).id
    except ReferentialError:
        raise UsageError(
            f"indicateur invalide : « {raw} » (numéro de 1 à {len(ref.indicators)} ou identifiant "
            f"comme {ref.indicators[0].id})."
        ) from None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _show(value: Any, field: str) -> str:
    """A history value as a reader wants it: labels, French dates, proofs ticked, no raw JSON."""
    if value is None or value == "" or value == {} or value == []:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if field in ("verdict", "status") and isinstance(value, str):
        for enum in (Verdict, ActionStatus):
            try:
                return enum(value).label
            except ValueError:
                continue
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return fr_date(dt.date.fromisoformat(value))
    if field == "checklist" and isinstance(value, dict):
        ticked = [k for k, v in value.items() if v]
        return "cochées : " + " ; ".join(ticked) if ticked else "aucune cochée"
    if isinstance(value, dict) and "label" in value:  # an evidence item
        parts = [str(value["label"]), str(value.get("location") or "")]
        if value.get("represents_date"):
            parts.append("représente le " + _show(value["represents_date"], ""))
        return " — ".join(p for p in parts if p)
    if isinstance(value, dict) and "title" in value:  # an action
        return f"{value['title']} ({_show(value.get('status'), 'status')})"
    if isinstance(value, dict):
        return " ; ".join(f"{k} : {_show(v, k)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_show(v, field) for v in value)
    return str(value)


def _number(indicator_id: str | None) -> str:
    if not indicator_id:
        return ""
    tail = indicator_id.rsplit(":", 1)[-1]
    return str(int(tail)) if tail.isdigit() else indicator_id


def cmd_history(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        mission = ws.store.get_mission(args.mission)
        indicator = None
        if args.indicator:
            indicator = _indicator_filter(args.indicator, ws.library.get(mission.referential_id))
        entries: list[HistoryEntry] = ws.store.history(mission.id, indicator)
    if args.json:
        print_json([e.model_dump(mode="json") for e in entries])
        return 0
    scope = f", indicateur {_number(indicator)}" if indicator else ""
    imports = list(dict.fromkeys(_origin(e) for e in entries if e.imported_from))
    if not entries:
        print(f"Aucune modification enregistrée pour la mission « {mission.id} »{scope}.")
        return 0
    print(f"Historique de la mission « {mission.id} »{scope} : {len(entries)} modification(s)")
    print_table(
        ["Quand", "Qui", "Ind.", "Objet", "Champ", "Avant", "Après"],
        [[e.at.astimezone().strftime("%d/%m/%Y %H:%M:%S"),
          e.actor + (f" [importé {imports.index(_origin(e)) + 1}]" if e.imported_from else ""),
          _number(e.indicator_id),
          ENTITY_LABELS.get(e.entity, e.entity), FIELD_LABELS.get(e.field, e.field),
          _show(e.before, e.field), _show(e.after, e.field)] for e in entries],
        max_width=50,
    )
    for n, (source, at) in enumerate(imports, start=1):
        print(f"[importé {n}] : entrée reçue d'un paquet client, non saisie dans cet espace de travail — {source}, "
              f"importée le {at}.")
    return 0


def _origin(e: HistoryEntry) -> tuple[str, str]:
    """How an imported history entry's source is shown: (bundle and its signature, import time)."""
    o = e.imported_from or {}
    signature = {"verified": "signature du cabinet vérifiée", "unchecked": "signature non vérifiée"}.get(
        str(o.get("signature")), "non signé")
    by = f", créé par {o['created_by']}" if o.get("created_by") else ""
    at = e.imported_at.astimezone().strftime("%d/%m/%Y %H:%M:%S") if e.imported_at else "?"
    return f"paquet {o.get('bundle', '?')}{by} ({signature})", at
