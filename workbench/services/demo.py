"""A deterministic demo workspace: fictional clients, missions, answers and evidence.

Every client is created from one of the shipped templates; missions cover both referential
versions (audits up to 31 Oct 2026 and from 1 Nov 2026) and answers use every verdict. The same
call always produces the same data (fixed dates, seeded random generator, fixed actor).
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.errors import UsageError
from workbench.core.settings import CONFIG_FILE, STORE_FILE, load_settings
from workbench.core.vocab import MissionType, NCGrading, Verdict
from workbench.domain.profile import Address, Certification, Contact, Site, complete_siret
from workbench.domain.records import Evidence
from workbench.domain.templates import load_template, profile_from_template
from workbench.referential.applicability import evaluate
from workbench.services.demo_prospects import PROSPECT_IDS, build_prospects
from workbench.services.demo_sessions import build_demo_review
from workbench.services.demo_tasks import build_task_plans
from workbench.services.workspace import Workspace
from workbench.store import SQLiteStore
from workbench.store.sessions import SessionRepository
from workbench.store.tasks import task_actors

DEMO_ACTOR = "sophie.durand"
DEMO_MARKER = "demo"
SEED = 2026


@dataclass(frozen=True)
class DemoMission:
    type: MissionType
    audit_date: dt.date
    label: str
    maturity: float
    """Share of applicable indicators found compliant (0-1)."""
    evaluated: float = 0.95
    """Share of applicable indicators evaluated."""


@dataclass(frozen=True)
class DemoClient:
    id: str
    template: str
    name: str
    siret_prefix: str
    nda: str | None
    city: str
    postal_code: str
    street: str
    contact: str
    contact_role: str
    missions: tuple[DemoMission, ...]
    certified_on: dt.date | None = None
    certifier: str | None = None
    extra_sites: tuple[tuple[str, str, str, str], ...] = field(default=())


CLIENTS: tuple[DemoClient, ...] = (
    DemoClient(
        "claire-martin-formation", "formateur-independant", "Claire Martin Formation (EI)",
        "9012345670001", "84691234569", "Annecy", "74000", "12 rue des Marquisats",
        "Claire Martin", "Formatrice et dirigeante",
        (DemoMission(MissionType.PRE_AUDIT, dt.date(2027, 1, 20), "Pré-audit avant audit initial", 0.8),),
    ),
    DemoClient(
        "forma-sud-conseil", "organisme-multi-activites", "Forma Sud Conseil SAS",
        "8123456780001", "93131234513", "Marseille", "13002", "45 quai de la Joliette",
        "Nadia Benali", "Directrice",
        (
            DemoMission(MissionType.PRE_AUDIT, dt.date(2026, 9, 22), "Pré-audit de mi-cycle", 0.7),
            DemoMission(MissionType.PREP_SURVEILLANCE, dt.date(2026, 12, 8),
                        "Préparation de l'audit de surveillance", 0.85),
        ),
        certified_on=dt.date(2025, 3, 10), certifier="Certificateur Alpha (fictif)",
    ),
    DemoClient(
        "cfa-batiment-avenir", "cfa", "CFA Bâtiment Avenir",
        "7812345690001", "52440123444", "Nantes", "44300", "3 boulevard de la Prairie",
        "Julien Roux", "Directeur du CFA",
        (DemoMission(MissionType.PREP_RENOUVELLEMENT, dt.date(2027, 3, 2),
                     "Préparation du renouvellement", 0.75),),
        certified_on=dt.date(2024, 5, 14), certifier="Certificateur Beta (fictif)",
    ),
    DemoClient(
        "bilan-horizon", "centre-bilans", "Bilan Horizon SARL",
        "8334567120001", "11755678975", "Paris", "75011", "18 rue Oberkampf",
        "Hélène Petit", "Gérante, psychologue du travail",
        (DemoMission(MissionType.AUDIT_BLANC, dt.date(2026, 10, 20), "Audit à blanc", 0.9),),
    ),
    DemoClient(
        "vae-parcours-reussite", "accompagnement-vae", "VAE Parcours Réussite",
        "8445678230001", "76310987631", "Rouen", "76000", "7 place du Vieux-Marché",
        "Thomas Leroy", "Responsable de l'accompagnement",
        (DemoMission(MissionType.AUDIT_BLANC, dt.date(2026, 12, 15), "Audit à blanc", 0.65),
         DemoMission(MissionType.POINT_SUIVI, dt.date(2026, 11, 20), "Point de suivi de novembre", 0)),
        certified_on=dt.date(2025, 11, 2), certifier="Certificateur Gamma (fictif)",
    ),
    DemoClient(
        "reseau-competences-ouest", "reseau-multi-sites", "Réseau Compétences Ouest",
        "7956789340001", "53350456735", "Rennes", "35000", "20 avenue Janvier",
        "Marc Guillou", "Directeur qualité",
        (DemoMission(MissionType.PRE_AUDIT, dt.date(2027, 2, 10), "Pré-audit réseau", 0.8),),
        extra_sites=(
            ("Site de Brest", "29200", "Brest", "5 rue de Siam"),
            ("Site de Vannes", "56000", "Vannes", "11 rue du Port"),
            ("Site de Saint-Brieuc", "22000", "Saint-Brieuc", "9 rue Saint-Guillaume"),
        ),
    ),
    DemoClient(
        "nouvel-elan-formation", "nouvel-entrant", "Nouvel Élan Formation",
        "9278901450001", None, "Toulouse", "31000", "2 allée Jean-Jaurès",
        "Inès Garcia", "Fondatrice",
        (DemoMission(MissionType.PRE_AUDIT, dt.date(2026, 12, 1), "Pré-audit nouvel entrant", 0.6, 0.85),),
    ),
)

FINDINGS = {
    Verdict.CONFORME: [
        "Éléments présentés et cohérents avec la pratique décrite en entretien.",
        "Preuves à jour, connues de l'équipe ; rien à signaler.",
        "Dispositif formalisé et appliqué ; deux exemples vérifiés sur l'échantillon.",
    ],
    Verdict.NC_MINEURE: [
        "Dispositif en place mais appliqué de façon incomplète sur l'échantillon consulté.",
        "Information présente mais partiellement à jour ; à compléter avant l'audit.",
        "Traçabilité partielle : une session sur trois sans preuve.",
    ],
    Verdict.NC_MAJEURE: [
        "Aucune preuve présentée ; la pratique n'est pas formalisée.",
        "Exigence non prise en compte : rien n'est en place à ce jour.",
        "Le dispositif décrit n'est pas appliqué ; écart important avec le niveau attendu.",
    ],
}
PRIVATE_NOTES = [
    "À relancer : la direction doit m'envoyer le dernier bilan pédagogique.",
    "Interlocutrice réticente sur ce point ; prévoir du temps à l'audit blanc.",
    "Penser à vérifier la version du livret d'accueil imprimée sur place.",
    "Facturer une demi-journée de plus si la procédure est à réécrire.",
]
NA_JUSTIFICATION = "Sans objet sur la période : aucune action concernée réalisée depuis le dernier audit."
LOCATIONS = [
    "Drive qualité > {n:02d} - Indicateur {n}",
    "Site internet, rubrique Formations",
    "Classeur qualité (bureau de la direction)",
    "Logiciel de gestion de la formation, module Suivi",
    "Messagerie : dossier « Qualiopi » partagé",
]
OWNERS = ["Direction", "Référent pédagogique", "Assistante administrative", "Référent handicap"]


def _verdict(rng: random.Random, grading: NCGrading, mission: DemoMission) -> Verdict:
    if rng.random() > mission.evaluated:
        return Verdict.NON_EVALUE
    roll = rng.random()
    if roll < mission.maturity:
        return Verdict.CONFORME
    if grading == NCGrading.MAJOR_ONLY:
        return Verdict.NC_MAJEURE
    return Verdict.NC_MINEURE if roll < mission.maturity + (1 - mission.maturity) * 0.7 else Verdict.NC_MAJEURE


def _check_workspace(ws_path: Path) -> None:
    """Refuse to touch a workspace holding anything the demo did not write itself.

    A previous demo build is replaced only when it holds nothing but demo clients and demo writes:
    a real client added to it, or an answer changed by someone, makes the demo refuse.
    """
    settings = load_settings(ws_path)
    if settings.store_url is not None:
        raise UsageError(
            f"L'espace de travail {ws_path} utilise une base configurée (store_url dans {CONFIG_FILE}) : "
            "la démonstration n'y écrit pas. Choisissez un autre dossier avec --workspace."
        )
    db = ws_path / STORE_FILE
    if not db.exists():
        return
    store = SQLiteStore(db, create=False)
    try:
        is_demo = store.get_meta(DEMO_MARKER) == "1"
        demo_ids = {c.id for c in CLIENTS} | PROSPECT_IDS
        foreign = sorted(c.id for c in store.list_clients() if not is_demo or c.id not in demo_ids)
        everyone = set(store.history_actors()) | set(task_actors(store)) | set(SessionRepository(store).actors())
        actors = sorted(everyone - {DEMO_ACTOR}) if is_demo else []
    finally:
        store.close()
    if foreign or actors:
        found = []
        if foreign:
            found.append(f"clients : {', '.join(foreign)}")
        if actors:
            found.append(f"modifications faites par : {', '.join(actors)}")
        raise UsageError(
            f"L'espace de travail {ws_path} contient des données qui ne viennent pas de la démonstration "
            f"({' ; '.join(found)}) : la démonstration n'écrase rien. Choisissez un autre dossier avec "
            "--workspace."
        )


def reset_demo(ws_path: Path) -> None:
    """Remove a previous demo build (store, its WAL files, demo reports) before rebuilding."""
    _check_workspace(ws_path)
    for suffix in ("", "-wal", "-shm"):
        (ws_path / f"{STORE_FILE}{suffix}").unlink(missing_ok=True)
    reports = ws_path / "reports"
    for client_id in [c.id for c in CLIENTS] + sorted(PROSPECT_IDS):
        shutil.rmtree(reports / client_id, ignore_errors=True)
    shutil.rmtree(reports / "_portefeuille", ignore_errors=True)


LOGO_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="240" height="64" viewBox="0 0 240 64">
<rect width="64" height="64" rx="12" fill="#1f4e79"/><path d="M18 34l10 10 18-22" stroke="#fff"
stroke-width="6" fill="none" stroke-linecap="round" stroke-linejoin="round"/>
<text x="76" y="30" font-family="DejaVu Sans, sans-serif" font-size="18" font-weight="bold"
fill="#1f4e79">Qualité Conseil</text><text x="76" y="50" font-family="DejaVu Sans, sans-serif"
font-size="12" fill="#c55a11">Cabinet fictif de démonstration</text></svg>
"""

DEMO_SETTINGS = """# Réglages de l'espace de démonstration (générés par « workbench demo »).
branding:
  firm: "Qualité Conseil (cabinet fictif)"
  consultant: "Sophie Durand"
  logo: "branding/logo.svg"
  primary_color: "#1f4e79"
  accent_color: "#c55a11"
"""


def build_demo(ws_path: Path) -> Workspace:
    """Build the demo workspace in ``ws_path`` and return it opened."""
    ws_path.mkdir(parents=True, exist_ok=True)
    reset_demo(ws_path)
    cfg = ws_path / CONFIG_FILE
    if not cfg.exists():
        cfg.write_text(DEMO_SETTINGS, encoding="utf-8")
        (ws_path / "branding").mkdir(exist_ok=True)
        (ws_path / "branding" / "logo.svg").write_text(LOGO_SVG, encoding="utf-8")
    ws = Workspace.open(ws_path, actor=DEMO_ACTOR)
    store = ws.store
    store.set_meta(DEMO_MARKER, "1")  # type: ignore[attr-defined]
    rng = random.Random(SEED)
    for client in CLIENTS:
        _build_client(ws, client, rng)
    build_task_plans(ws)
    build_demo_review(ws)
    build_prospects(ws)
    return ws


def demo_access_codes(ws: Workspace) -> dict[str, str]:
    """A fresh personal access code for each demo client (the client space, ``workbench serve``)."""
    from workbench.store.client_space import create_access, require_sqlite

    store = require_sqlite(ws.store)
    return {client.id: create_access(store, client.id)[0] for client in CLIENTS}


DEMO_CONSULTANTS = ("Sophie Durand", "Karim Benali")
"""Two consultants, so the portfolio view has someone to filter by."""


def _build_client(ws: Workspace, client: DemoClient, rng: random.Random) -> None:
    template = load_template(client.template, ws.folders)
    address = Address(street=client.street, postal_code=client.postal_code, city=client.city)
    overrides: dict = {
        "siret": complete_siret(client.siret_prefix),
        "nda": client.nda,
        "address": address,
        "contact": Contact(name=client.contact, role=client.contact_role,
                           email=f"contact@{client.id}.example", phone="04 00 00 00 00"),
        "consultant": DEMO_CONSULTANTS[sum(map(ord, client.id)) % len(DEMO_CONSULTANTS)],
    }
    if client.certified_on:
        cats = list(template.profile.categories)
        overrides["certification"] = Certification(
            certified=True, certifier=client.certifier, certificate_date=client.certified_on,
            certificate_number=f"CERT-{client.certified_on:%Y}-{client.siret_prefix[-5:]}", categories=cats,
        )
    if client.extra_sites:
        sites = [Site(name="Siège (fonction centrale)", address=address, permanent_staff=6, central_function=True)]
        sites += [Site(name=n, address=Address(street=s, postal_code=cp, city=c), permanent_staff=3)
                  for n, cp, c, s in client.extra_sites]
        overrides["sites"] = sites
    profile = profile_from_template(template, client.id, client.name, **overrides)
    ws.store.create_client(profile)
    for dm in client.missions:
        mission = ws.new_mission(client.id, mission_type=dm.type, audit_date=dm.audit_date, label=dm.label)
        if dm.type == MissionType.POINT_SUIVI:  # a follow-up visit has no grid answers
            continue
        ref = ws.library.get(mission.referential_id)
        results = evaluate(ref, profile.scope())
        na_done = False
        for res in results:
            if not res.applicable:
                continue
            ind = res.indicator
            verdict = _verdict(rng, ind.nc.grading, dm)
            if not na_done and verdict == Verdict.CONFORME and ind.number in (16, 28, 13) and rng.random() < 0.8:
                verdict, na_done = Verdict.NON_APPLICABLE, True
            changes: dict = {"verdict": verdict, "respondent": rng.choice(OWNERS)}
            if verdict == Verdict.NON_APPLICABLE:
                changes["na_justification"] = NA_JUSTIFICATION
                changes["finding"] = "Vérifié avec la direction."
            elif verdict != Verdict.NON_EVALUE:
                changes["finding"] = rng.choice(FINDINGS[verdict])
                changes["private_notes"] = rng.choice(PRIVATE_NOTES)
            changes["checklist"] = {p: (verdict == Verdict.CONFORME or rng.random() < 0.4)
                                    for p in ind.proofs[:3]}
            ws.store.save_answer(mission.id, ind.id, **changes)
            if verdict in (Verdict.CONFORME, Verdict.NC_MINEURE):
                for proof in rng.sample(list(ind.proofs), k=min(len(ind.proofs), 1 + (rng.random() < 0.5))):
                    age_days = rng.choice([20, 60, 120, 200, 300, 420, 540])
                    ws.store.add_evidence(Evidence(
                        mission_id=mission.id, indicator_id=ind.id, label=proof,
                        location=rng.choice(LOCATIONS).format(n=ind.number),
                        represents_date=dm.audit_date - dt.timedelta(days=age_days),
                        owner=rng.choice(OWNERS),
                    ))
