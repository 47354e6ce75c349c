"""Demo sessions and a finished session-file review for one demo client.

Deterministic (own seeded generator, so the rest of the demo is unchanged): three dozen sessions of
Forma Sud Conseil over 2025-2026 (AF and BC; certifying, subcontracted, distance and mixed ones; several
sites, trainers and funders), a sample drawn for the surveillance preparation mission and every
sampled file reviewed, some of them incomplete (cold evaluations, attendance sheets, subcontracting
contracts missing).
"""

from __future__ import annotations

import datetime as dt
import random

from workbench.core.vocab import Category
from workbench.domain.checklist import ReviewStatus
from workbench.domain.sessions import Funding, Modality, Session
from workbench.services.sessions import draw_for_mission, mission_review, repository, save_item_reviews
from workbench.services.workspace import Workspace

CLIENT = "forma-sud-conseil"
SEED = 1414
SAMPLE_SEED = 20261208
COUNT = 36

AF_TITLES = [
    ("Management d'équipe — fondamentaux", False), ("Excel perfectionnement", False),
    ("Titre professionnel Assistant(e) de direction", True), ("Prise de parole en public", False),
    ("Certificat CléA — préparation", True), ("Sauveteur secouriste du travail", True),
    ("Gestion du temps et des priorités", False), ("Anglais professionnel (TOEIC)", True),
]
BC_TITLE = "Bilan de compétences"
SITES = ["Marseille — Joliette", "Aix-en-Provence", "Toulon"]
TRAINERS = ["Karim Haddad", "Sophie Lemaire", "Paul Ortiz", "Léa Fabre", "Marc Giraud"]
SUBCONTRACTOR = "Cabinet Delta (sous-traitant)"
# Items missing in some files: what reviews typically find.
WEAK_ITEMS = {"satisfaction-froid": 0.5, "emargement": 0.25, "positionnement": 0.2, "contrat-sous-traitance": 0.6}


def demo_sessions(client_id: str = CLIENT) -> list[Session]:
    rng = random.Random(SEED)
    out = []
    start = dt.date(2025, 9, 1)
    for n in range(1, COUNT + 1):
        day = start + dt.timedelta(days=int((n - 1) * 12.5) + rng.randint(0, 4))
        if n % 6 == 0:
            out.append(Session(
                client_id=client_id, reference=f"FSC-BC-{n:03d}", title=BC_TITLE, category=Category.BC,
                start=day, end=day + dt.timedelta(days=56), site=SITES[0], trainers=("Hélène Morel",),
                learners=1, funding=(Funding.CPF,) if n % 12 else (Funding.PARTICULIER,),
                modality=Modality.MIXTE if n % 12 == 0 else Modality.PRESENTIEL))
            continue
        title, certifying = AF_TITLES[n % len(AF_TITLES)]
        subcontracted = n % 7 == 3
        trainers = (SUBCONTRACTOR,) if subcontracted else tuple(rng.sample(TRAINERS, k=1 + (n % 5 == 0)))
        modality = Modality.DISTANCE if n % 9 == 4 else Modality.PRESENTIEL
        funding = rng.choice([(Funding.OPCO,), (Funding.OPCO, Funding.ENTREPRISE), (Funding.CPF,),
                              (Funding.FRANCE_TRAVAIL,), (Funding.ENTREPRISE,), (Funding.REGION,)])
        out.append(Session(
            client_id=client_id, reference=f"FSC-AF-{n:03d}", title=title, category=Category.AF, start=day,
            end=day + dt.timedelta(days=rng.choice([0, 1, 2, 4])),
            site="Distanciel" if modality == Modality.DISTANCE else rng.choice(SITES),
            trainers=trainers, learners=rng.randint(4, 12), funding=funding, certifying=certifying,
            subcontracted=subcontracted, modality=modality))
    return out


def build_demo_review(ws: Workspace, *, today: dt.date = dt.date(2026, 11, 20)) -> None:
    """Import the sessions, draw the sample for the surveillance preparation and review every file."""
    repository(ws).upsert(CLIENT, demo_sessions())
    mission = ws.store.list_missions(CLIENT)[-1]
    draw_for_mission(ws, CLIENT, mission.id, seed=SAMPLE_SEED)
    review = mission_review(ws, CLIENT, mission.id)
    assert review.results is not None
    rng = random.Random(SEED + 1)
    changes = []
    for f in review.results.files:
        for line in f.lines:
            item = line.item.id
            if item == "reclamations" and rng.random() < 0.7:
                changes.append((f.session.reference, item, {"status": ReviewStatus.NOT_APPLICABLE,
                                                            "note": "Aucune réclamation sur cette session."}))
            elif rng.random() < WEAK_ITEMS.get(item, 0.0):
                changes.append((f.session.reference, item, {"status": ReviewStatus.MISSING,
                                                            "note": "Pièce introuvable dans le dossier."}))
            else:
                changes.append((f.session.reference, item, {
                    "status": ReviewStatus.PRESENT,
                    "evidence": f"Dossier {f.session.reference} (logiciel de gestion), vu le {today:%d/%m/%Y}"}))
    save_item_reviews(ws, CLIENT, mission.id, changes, today=today)
