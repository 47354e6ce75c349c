"""``workbench client new|list|show|update|export|import|templates``."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from workbench.cli.common import (
    folders_from,
    open_workspace,
    parse_categories,
    parse_date,
    print_json,
    print_table,
)
from workbench.core.dates import fr_date
from workbench.core.errors import ReferentialError, UsageError
from workbench.core.validation import read_yaml
from workbench.core.vocab import AuditType, Condition, Verdict, parse_enum
from workbench.domain.audit_cycle import audit_duration, cycle_dates
from workbench.domain.profile import FIELD_LABELS, ClientProfile, profile_from_data, validate_client_id
from workbench.domain.public_list import find_provider
from workbench.domain.templates import list_templates, load_template, profile_from_template
from workbench.referential.applicability import evaluate
from workbench.referential.library import Library
from workbench.store import Store
from workbench.store.bundle import SUFFIX, export_client, import_bundle


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("client", help="gérer les clients : profils, modèles, paquets d'échange")
    csub = p.add_subparsers(dest="client_command", metavar="SOUS-COMMANDE", parser_class=type(p))
    csub.required = True

    np_ = csub.add_parser("new", parents=[parent],
                          help="créer un client à partir d'un modèle ou de la liste publique des organismes")
    np_.add_argument("id", metavar="ID", help="identifiant du client (minuscules, chiffres, tirets)")
    np_.add_argument("--template", metavar="MODÈLE",
                     help="modèle de départ (voir « workbench client templates ») ; obligatoire sans "
                          "--from-public-list")
    np_.add_argument("--from-public-list", metavar="FICHIER.csv",
                     help="pré-remplir depuis un extrait téléchargé de la liste publique des organismes de "
                          "formation (data.gouv.fr), avec --siret ou --nda")
    np_.add_argument("--prospect", action="store_true",
                     help="organisme prospect (évaluation d'opportunité avant toute mission)")
    np_.add_argument("--name", metavar="RAISON_SOCIALE", help="raison sociale")
    np_.add_argument("--siret", metavar="SIRET", help="SIRET (14 chiffres)")
    np_.add_argument("--nda", metavar="NDA", help="numéro de déclaration d'activité (11 chiffres)")
    np_.add_argument("--consultant", metavar="NOM", help="consultant en charge")
    np_.add_argument("--json", action="store_true", help="sortie JSON")
    np_.set_defaults(func=cmd_new)

    lp = csub.add_parser("list", parents=[parent], help="clients de l'espace de travail")
    lp.add_argument("--json", action="store_true", help="sortie JSON")
    lp.add_argument("--all", action="store_true", help="inclure les clients archivés")
    lp.set_defaults(func=cmd_list)

    sp = csub.add_parser("show", parents=[parent], help="profil, périmètre, indicateurs applicables, missions")
    sp.add_argument("id", metavar="ID", help="identifiant du client")
    fmt = sp.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="sortie JSON")
    fmt.add_argument("--yaml", action="store_true",
                     help="profil seul, en YAML modifiable (à reprendre avec « client update --from »)")
    sp.set_defaults(func=cmd_show)

    up = csub.add_parser("update", parents=[parent],
                         help="compléter ou corriger le profil d'un client (l'historique est conservé)")
    up.add_argument("id", metavar="ID", help="identifiant du client")
    up.add_argument("--from", dest="from_file", metavar="FICHIER.yaml",
                    help="profil complet en YAML (obtenu par « client show ID --yaml » puis modifié)")
    for flag, meta, text in UPDATE_FLAGS:
        up.add_argument(flag, metavar=meta, help=text)
    for flag, meta, text in SCOPE_FLAGS:
        up.add_argument(flag, metavar=meta, help=text)
    up.set_defaults(func=cmd_update)

    arp = csub.add_parser("archive", parents=[parent],
                          help="archiver un client (masqué des listes ; rien n'est supprimé)")
    arp.add_argument("id", metavar="ID", help="identifiant du client")
    arp.set_defaults(func=cmd_archive)
    rsp = csub.add_parser("restore", parents=[parent], help="sortir un client des archives")
    rsp.add_argument("id", metavar="ID", help="identifiant du client")
    rsp.set_defaults(func=cmd_restore)

    ep = csub.add_parser("export", parents=[parent], help="exporter un client dans un seul fichier")
    ep.add_argument("id", metavar="ID", help="identifiant du client")
    ep.add_argument("-o", "--output", required=True, metavar="FICHIER",
                    help=f"fichier à créer (ex. : client{SUFFIX})")
    ep.add_argument("--force", action="store_true", help="remplacer le fichier s'il existe déjà")
    ep.set_defaults(func=cmd_export)

    ip = csub.add_parser("import", parents=[parent], help="importer un paquet client")
    ip.add_argument("file", metavar="FICHIER", help="paquet créé par « workbench client export »")
    ip.add_argument("--merge", action="store_true",
                    help="fusionner avec un client existant (ajoute ce qui manque, n'écrase rien)")
    ip.add_argument("--as", dest="as_id", metavar="ID",
                    help="importer sous un autre identifiant (par exemple un autre organisme portant le même)")
    ip.add_argument("--accept-unsigned", action="store_true",
                    help="accepter un paquet non signé alors qu'une clé de signature est configurée")
    ip.add_argument("--json", action="store_true", help="rapport au format JSON")
    ip.set_defaults(func=cmd_import)

    tp = csub.add_parser("templates", parents=[parent], help="modèles de clients disponibles")
    tp.add_argument("--json", action="store_true", help="sortie JSON")
    tp.set_defaults(func=cmd_templates)

    from workbench.cli.space_cmd import register_client

    register_client(csub, parent)  # access, changes, review: the client space



SCOPE_FLAGS = (
    ("--categories", "AF,BC,VAE,CFA", "catégories d'action réalisées (remplacent les actuelles)"),
    ("--conditions", "LISTE", "situations du prestataire, séparées par des virgules (remplacent les actuelles) : "
                              + ", ".join(c.value for c in Condition) + " ; « aucune » pour vider"),
    ("--new-entrant", "toutes|AF,BC|non", "nouvel entrant : pour toutes les catégories, pour certaines, ou non"),
    ("--certified", "oui|non", "certifié Qualiopi"),
    ("--certifier", "NOM", "organisme certificateur"),
    ("--certificate-date", "AAAA-MM-JJ", "date du certificat"),
    ("--certificate-number", "NUMÉRO", "numéro du certificat"),
    ("--certified-categories", "AF,BC,VAE,CFA", "catégories couvertes par le certificat"),
    ("--funding", "cpf=40,opco=30,…", "répartition du chiffre d'affaires par financeur, en % "
                                      "(cpf, opco, france_travail, region, direct)"),
)
"""Flags of « client update » that change the scope: applicability is recomputed from them."""

UPDATE_FLAGS = (
    ("--name", "RAISON_SOCIALE", "raison sociale"),
    ("--siret", "SIRET", "SIRET (14 chiffres)"),
    ("--nda", "NDA", "numéro de déclaration d'activité (11 chiffres)"),
    ("--street", "ADRESSE", "numéro et rue"),
    ("--postal-code", "CODE_POSTAL", "code postal (5 chiffres)"),
    ("--city", "VILLE", "ville"),
    ("--contact-name", "NOM", "nom du contact"),
    ("--contact-role", "FONCTION", "fonction du contact"),
    ("--contact-email", "COURRIEL", "adresse électronique du contact"),
    ("--contact-phone", "TÉLÉPHONE", "téléphone du contact"),
    ("--consultant", "NOM", "consultant en charge"),
    ("--trainers", "N", "nombre de formateurs"),
    ("--employees", "N", "nombre de salariés"),
    ("--revenue-band", "TRANCHE", "tranche de chiffre d'affaires : lt_150k, 150k_750k, gt_750k"),
)


def _applicability_summary(profile: ClientProfile, library: Library, today: dt.date) -> list[dict[str, Any]]:
    rows = []
    for ref in library.versions:
        results = evaluate(ref, profile.scope())
        rows.append({
            "referential": ref.id,
            "title": f"{ref.id} — {ref.version}",
            "status": ref.status.value,
            "in_force_today": ref.in_force_on(today),
            "applicable": sum(r.applicable for r in results),
            "total": len(results),
            "new_entrant_adapted": sum(r.new_entrant_adapted for r in results),
        })
    return rows


def _from_public_list(args: argparse.Namespace, client_id: str) -> tuple[ClientProfile, list[str], str]:
    """Profile prefilled from the public list (+ the template, when given, for what it lacks)."""
    entry = find_provider(Path(args.from_public_list), siret=args.siret, nda=args.nda)
    data = entry.profile_data()
    notes: list[str] = []
    template = load_template(args.template, folders_from(args)) if args.template else None
    base: dict[str, Any] = template.profile.model_dump(mode="json", exclude_unset=True) if template else {}
    base.update(data)
    if args.name:
        base["name"] = args.name
    if entry.certified_categories:
        cats = [c.value for c in entry.certified_categories]
        base.setdefault("categories", cats)
        base["certification"] = {"certified": False, "categories": cats}
        notes.append(f"certifié Qualiopi selon la liste publique pour {', '.join(cats)} : date du certificat et "
                     "certificateur à saisir à la main (client update --certified-on … --certifier …)")
    elif "categories" not in base:
        base["categories"] = ["AF"]
        notes.append("catégories d'action (aucune certification dans la liste : AF retenu provisoirement)")
    base.update(id=client_id, prospect=bool(args.prospect), consultant=args.consultant,
                template=template.name if template else None)
    profile = profile_from_data({k: v for k, v in base.items() if v is not None},
                                f"Profil du client « {client_id} » (liste publique)")
    missing = [FIELD_LABELS[k] for k in ("revenue_band", "funding", "contact") if getattr(profile, k) is None]
    return profile, notes + missing, f"de la liste publique ({entry.name}, SIRET {entry.siret})"


def cmd_new(args: argparse.Namespace) -> int:
    client_id = validate_client_id(args.id)
    if args.from_public_list:
        profile, remaining, origin = _from_public_list(args, client_id)
        template = load_template(args.template, folders_from(args)) if args.template else None
    else:
        if not args.template:
            raise UsageError("Indiquez un modèle (--template) ou une liste publique (--from-public-list FICHIER.csv "
                             "avec --siret ou --nda).")
        template = load_template(args.template, folders_from(args))
        profile = profile_from_template(
            template, client_id, args.name or client_id, siret=args.siret, nda=args.nda,
            consultant=args.consultant, prospect=True if args.prospect else None,
        )
        origin = f"du modèle « {template.title} » ({template.name})"
        remaining = template.remaining(profile)
        if not args.name:
            remaining.insert(0, f"raison sociale (provisoirement « {client_id} »)")
    with open_workspace(args, create=True) as ws:
        ws.store.create_client(profile)
        today = dt.date.today()
        summary = _applicability_summary(profile, ws.library, today)
    to_check = template.to_complete if template else []
    if args.json:
        print_json({"profile": profile.model_dump(mode="json"), "template": template.name if template else None,
                    "remaining": remaining, "to_check": to_check, "applicability": summary})
        return 0
    print(f"{'Prospect' if profile.prospect else 'Client'} « {client_id} » créé à partir {origin}.")
    print(profile.scope().describe())
    for row in summary:
        if row["in_force_today"]:
            print(f"Indicateurs applicables ({row['title']}, en vigueur aujourd'hui) : "
                  f"{row['applicable']} sur {row['total']}")
    if remaining:
        print("\nReste à renseigner :")
        for item in remaining:
            print(f"  - {item}")
    if to_check:
        print("\nÀ vérifier pour ce type d'organisme :")
        for item in to_check:
            print(f"  - {item}")
    if profile.prospect:
        print(f"\nÉtape suivante : workbench assess {client_id} --answers REPONSES.yaml")
    else:
        print(f"\nÉtape suivante : workbench mission new {client_id} --type pre_audit --audit-date AAAA-MM-JJ")
    return 0


def _answered(store: Store, mission_id: str) -> int:
    return sum(a.verdict != Verdict.NON_EVALUE for a in store.list_answers(mission_id).values())


def cmd_list(args: argparse.Namespace) -> int:
    from workbench.store.archive import archived_clients

    with open_workspace(args) as ws:
        clients = ws.store.list_clients()
        missions = ws.store.list_missions()
        archived = archived_clients(ws.store)  # type: ignore[arg-type]
    hidden = 0 if args.all else sum(c.id in archived for c in clients)
    if not args.all:
        clients = [c for c in clients if c.id not in archived]
    count = {c.id: 0 for c in clients}
    for m in missions:
        count[m.client_id] = count.get(m.client_id, 0) + 1
    rows = [
        {"id": c.id, "name": c.name, "categories": [x.value for x in c.categories],
         "conditions": [x.value for x in c.conditions], "new_entrant": c.new_entrant.all_categories,
         "certified": c.certification.certified, "template": c.template, "consultant": c.consultant,
         "missions": count.get(c.id, 0), "archived": c.id in archived}
        for c in clients
    ]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Aucun client dans cet espace de travail. Créez-en un : "
              "workbench client new ID --template MODÈLE (modèles : workbench client templates)")
        return 0
    print_table(
        ["Identifiant", "Raison sociale", "Catégories", "Modèle", "Missions", "Consultant"],
        [[r["id"] + (" (archivé)" if r["archived"] else ""), r["name"], ", ".join(r["categories"]),
          r["template"] or "—", r["missions"], r["consultant"] or "—"] for r in rows],
    )
    if hidden:
        print(f"{hidden} client(s) archivé(s) non affiché(s) : workbench client list --all")
    return 0


def _print_profile(p: ClientProfile) -> None:
    print(f"{p.name}  [{p.id}]")
    print(f"  SIRET : {p.siret or '—'}    NDA : {p.nda or '—'}")
    print(f"  Adresse : {p.address.one_line() if p.address else '—'}")
    if p.contact:
        extra = ", ".join(x for x in (p.contact.role, p.contact.email, p.contact.phone) if x)
        print(f"  Contact : {p.contact.name}" + (f" ({extra})" if extra else ""))
    else:
        print("  Contact : —")
    print(f"  Catégories : {', '.join(f'{c.value} ({c.label})' for c in p.categories)}")
    print(f"  Situations : {'; '.join(c.label for c in p.conditions) or 'aucune'}")
    if p.new_entrant.all_categories:
        print("  Nouvel entrant : oui (première année d'activité, toutes catégories)")
    elif p.new_entrant.categories:
        print(f"  Nouvel entrant pour : {', '.join(c.value for c in p.new_entrant.categories)}")
    else:
        print("  Nouvel entrant : non")
    cert = p.certification
    if cert.certified:
        window = cert.surveillance_window()
        print(f"  Certifié : oui, par {cert.certifier or '—'}, certificat du {fr_date(cert.certificate_date)}"
              f" (échéance {fr_date(cert.expiry())})")
        if window:
            print(f"  Fenêtre de l'audit de surveillance : du {fr_date(window[0])} au {fr_date(window[1])}")
    else:
        print("  Certifié : non")
    print(f"  Chiffre d'affaires : {p.revenue_band.label if p.revenue_band else '—'}")
    if p.funding:
        f = p.funding
        print(f"  Financements : CPF {f.cpf:g} %, OPCO {f.opco:g} %, France Travail {f.france_travail:g} %, "
              f"Région {f.region:g} %, ventes directes {f.direct:g} %")
    print(f"  Formateurs : {p.trainers if p.trainers is not None else '—'}    "
          f"Salariés : {p.employees if p.employees is not None else '—'}")
    print(f"  Consultant en charge : {p.consultant or '—'}")
    if p.sites:
        print(f"  Sites ({len(p.sites)}) :")
        for s in p.sites:
            central = " — fonction centrale" if s.central_function else ""
            print(f"    - {s.name} : {s.address.one_line()} ({s.permanent_staff} permanent(s)){central}")
    if p.template:
        print(f"  Créé à partir du modèle : {p.template}")


def cmd_show(args: argparse.Namespace) -> int:
    client_id = validate_client_id(args.id)
    with open_workspace(args) as ws:
        profile = ws.store.get_client(client_id)
        missions = ws.store.list_missions(client_id)
        answered = {m.id: _answered(ws.store, m.id) for m in missions}
        summary = _applicability_summary(profile, ws.library, dt.date.today())
    if args.yaml:
        print(PROFILE_YAML_HEADER.format(id=client_id), end="")
        # the id travels with the profile: « update --from » refuses another client's file
        print(yaml.safe_dump({"id": client_id, **profile.model_dump(mode="json", exclude={"id"})},
                             allow_unicode=True, sort_keys=False), end="")
        return 0
    cycle = cycle_dates(profile)
    upcoming = ([AuditType.SURVEILLANCE, AuditType.RENOUVELLEMENT] if profile.certification.certified
                else [AuditType.INITIAL])
    durations = [audit_duration(profile, t) for t in upcoming]
    if args.json:
        print_json({
            "cycle": None if cycle is None else {k: v.isoformat() for k, v in vars(cycle).items()},
            "audit_durations": [d.to_dict() for d in durations],
            "profile": profile.model_dump(mode="json"),
            "scope": profile.scope().describe(),
            "missing": profile.missing_fields(),
            "applicability": summary,
            "missions": [m.model_dump(mode="json") | {"answered": answered[m.id]} for m in missions],
        })
        return 0
    _print_profile(profile)
    print(f"\nPérimètre : {profile.scope().describe()}")
    print("Indicateurs applicables :")
    for row in summary:
        flag = " — en vigueur aujourd'hui" if row["in_force_today"] else ""
        ne = f", dont {row['new_entrant_adapted']} aménagé(s) nouvel entrant" if row["new_entrant_adapted"] else ""
        print(f"  {row['title']} : {row['applicable']} sur {row['total']}{ne}{flag}")
    if cycle:
        print("Cycle de certification :")
        for line in cycle.describe():
            print(f"  {line}")
    print("Durée estimée des audits (estimation, arrêté du 6 juin 2019 modifié) :")
    for d in durations:
        print(f"  {d.audit_type.label} : {d.label()}")
        for line in d.details:
            print(f"    - {line}")
        for line in d.uncertain:
            print(f"    ? {line}")
    missing = profile.missing_fields()
    if missing:
        print(f"Reste à renseigner : {', '.join(missing)}")
    print()
    if not missions:
        print(f"Aucune mission. Créez-en une : workbench mission new {client_id} --type pre_audit "
              "--audit-date AAAA-MM-JJ")
        return 0
    print("Missions :")
    print_table(
        ["Mission", "Type", "Audit visé", "Date", "Référentiel", "Réponses"],
        [[m.id, m.type.label, m.audit_type.label, fr_date(m.audit_date),
          m.referential_id + ("" if m.referential_auto else " (choisi)"), answered[m.id]] for m in missions],
    )
    return 0


PROFILE_YAML_HEADER = """# Profil du client « {id} » — modifiez puis reprenez avec :
#   workbench client update {id} --from ce-fichier.yaml
# L'identifiant ne se modifie pas. Catégories : AF, BC, VAE, CFA ; situations : certifying,
# alternance, work_periods, subcontracting, short_courses_only.
"""


def _updated_profile(current: ClientProfile, args: argparse.Namespace) -> ClientProfile:
    """Apply --from and the field flags to the current profile; validation errors name the field."""
    data: dict[str, Any] = current.model_dump(mode="json")
    if args.from_file:
        try:
            raw = read_yaml(Path(args.from_file), "Fichier de profil")
        except ReferentialError as exc:
            raise UsageError(exc.message) from None
        if not isinstance(raw, dict):
            raise UsageError(f"profil invalide dans {args.from_file} : un dictionnaire YAML est attendu.")
        if "id" not in raw:
            raise UsageError(f"le fichier {args.from_file} ne dit pas à quel client il appartient (champ « id » "
                             f"absent) : partez de « workbench client show {current.id} --yaml », qui l'écrit, ou "
                             f"ajoutez « id: {current.id} » si ce profil est bien celui de ce client. Rien n'a été "
                             "modifié.")
        if raw["id"] != current.id:
            raise UsageError(f"le fichier {args.from_file} est le profil d'un autre client ({raw['id']!r}), pas "
                             f"de {current.id!r} : rien n'a été modifié (l'identifiant ne se modifie pas).")
        data = {**raw, "id": current.id}
    flat = {key: getattr(args, key) for key in ("name", "siret", "nda", "consultant", "revenue_band")}
    data.update({k: v for k, v in flat.items() if v is not None})
    for key in ("trainers", "employees"):
        value = getattr(args, key)
        if value is not None:
            data[key] = value
    address = {k: getattr(args, a) for k, a in (("street", "street"), ("postal_code", "postal_code"),
                                                ("city", "city")) if getattr(args, a) is not None}
    if address:
        data["address"] = {**(data.get("address") or {}), **address}
    contact = {k: getattr(args, f"contact_{k}") for k in ("name", "role", "email", "phone")
               if getattr(args, f"contact_{k}") is not None}
    if contact:
        data["contact"] = {**(data.get("contact") or {}), **contact}
    _apply_scope_flags(data, args)
    return profile_from_data(data, f"Profil du client « {current.id} »")


def _apply_scope_flags(data: dict[str, Any], args: argparse.Namespace) -> None:
    if args.categories is not None:
        data["categories"] = sorted(c.value for c in parse_categories(args.categories))
    if args.conditions is not None:
        raw = args.conditions.strip().lower()
        data["conditions"] = [] if raw in ("", "aucune") else sorted(
            {parse_enum(Condition, part, "situation").value for part in raw.split(",") if part.strip()})
    if args.new_entrant is not None:
        raw = args.new_entrant.strip().lower()
        if raw in ("non", "no"):
            data["new_entrant"] = {"all_categories": False, "categories": []}
        elif raw in ("toutes", "oui", "all"):
            data["new_entrant"] = {"all_categories": True, "categories": []}
        else:
            data["new_entrant"] = {"all_categories": False,
                                   "categories": sorted(c.value for c in parse_categories(raw))}
    cert = dict(data.get("certification") or {})
    if args.certified is not None:
        raw = args.certified.strip().lower()
        if raw not in ("oui", "non"):
            raise UsageError(f"--certified attend « oui » ou « non », pas « {args.certified} ».")
        cert["certified"] = raw == "oui"
    for key in ("certifier", "certificate_number"):
        if getattr(args, key) is not None:
            cert[key] = getattr(args, key) or None
    if args.certificate_date is not None:
        cert["certificate_date"] = parse_date(args.certificate_date, "date du certificat").isoformat()
    if args.certified_categories is not None:
        cert["categories"] = sorted(c.value for c in parse_categories(args.certified_categories))
    if cert != (data.get("certification") or {}):
        data["certification"] = cert
    if args.funding is not None:
        mix: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in args.funding.split(","))):
            key, sep, value = part.partition("=")
            try:
                mix[key.strip().lower()] = float(value.replace(",", ".")) if sep else float("nan")
            except ValueError:
                raise UsageError(f"--funding : valeur invalide « {part} » (ex. : cpf=40,opco=30).") from None
            if mix[key.strip().lower()] != mix[key.strip().lower()]:
                raise UsageError(f"--funding : valeur manquante pour « {key} » (ex. : cpf=40).")
        data["funding"] = mix


def cmd_archive(args: argparse.Namespace) -> int:
    from workbench.store.archive import archive_client

    client_id = validate_client_id(args.id)
    with open_workspace(args) as ws:
        ws.store.get_client(client_id)
        archive_client(ws.store, client_id)  # type: ignore[arg-type]
    print(f"Client « {client_id} » archivé : il n'apparaît plus dans « client list » (voir --all) ; "
          f"ses données sont conservées. Pour l'en sortir : workbench client restore {client_id}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from workbench.store.archive import restore_client

    client_id = validate_client_id(args.id)
    with open_workspace(args) as ws:
        ws.store.get_client(client_id)
        restore_client(ws.store, client_id)  # type: ignore[arg-type]
    print(f"Client « {client_id} » sorti des archives.")
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    client_id = validate_client_id(args.id)
    with open_workspace(args) as ws:
        current = ws.store.get_client(client_id)
        updated = _updated_profile(current, args)
        if updated == current:
            print(f"Aucun changement pour le client « {client_id} ».")
            return 0
        ws.store.update_client(updated)
    before, after = current.model_dump(mode="json"), updated.model_dump(mode="json")
    changed = [k for k in after if before.get(k) != after.get(k)]
    print(f"Profil du client « {client_id} » mis à jour : {', '.join(FIELD_LABELS.get(k, k) for k in changed)}.")
    if current.scope() != updated.scope():
        print("Attention : le périmètre a changé ; l'applicabilité des indicateurs des missions en cours "
              "est recalculée à partir du nouveau profil.")
    missing = updated.missing_fields()
    print(f"Reste à renseigner : {', '.join(missing)}." if missing else "Profil complet.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    client_id = validate_client_id(args.id)
    with open_workspace(args) as ws:
        ws.store.get_client(client_id)  # unknown client: clear message before touching the disk
        written = export_client(ws.store, client_id, args.output, overwrite=args.force,
                                signing_key=ws.settings.bundle_signing_key)
        missions = ws.store.list_missions(client_id)
    print(f"Client « {client_id} » exporté dans {written} ({len(missions)} mission(s)).")
    print(f"Pour l'importer ailleurs : workbench client import {written}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    with open_workspace(args, create=True) as ws:
        report = import_bundle(ws.store, args.file, merge=args.merge, library=ws.library,
                               signing_key=ws.settings.bundle_signing_key, accept_unsigned=args.accept_unsigned,
                               as_id=args.as_id)
    if args.json:
        print_json(report.to_dict())
        return 0
    for line in report.lines():
        print(line)
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    templates = list_templates(folders_from(args))
    if args.json:
        print_json([t.model_dump(mode="json") for t in templates])
        return 0
    for t in templates:
        scope = profile_from_template(t, "modele", t.title).scope()
        print(f"{t.name} — {t.title}")
        print(f"    {scope.describe()}")
        print(f"    {' '.join(t.description.split())}")
    print("\nCréer un client : workbench client new ID --template MODÈLE --name \"Raison sociale\"")
    return 0
