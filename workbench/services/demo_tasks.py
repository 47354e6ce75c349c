"""Recurring-task plans of the demo clients: fixed start dates and completions, some tasks late.

Deterministic: every date is fixed, and evidence is filed as of :data:`DEMO_TODAY`, so two builds
hold the same plans. Seen on 27 November 2026, the clients stand at different points of their cycle:

* Forma Sud Conseil — in its surveillance window, audit planned, diligent but two tasks slipped (the
  quarterly legal watch and the pedagogical innovation watch);
* CFA Bâtiment Avenir — renewal ahead, several tasks overdue (result indicators, trainers' files,
  apprentices' outcomes, legal watch, session-file review);
* VAE Parcours Réussite — certified a year ago, a follow-up visit on 20 November, surveillance
  window opening in January with no surveillance audit planned yet, result indicators and
  complaints overdue;
* Claire Martin Formation — preparing its initial audit, plan started, two updates already done;
* the other clients have a plan whose first due dates lie ahead.
"""

from __future__ import annotations

import datetime as dt

from workbench.services import lifecycle
from workbench.services.workspace import Workspace

D = dt.date
DEMO_TODAY = D(2026, 11, 27)

#: client -> (plan start, [(task, done on, evidence kept or None)])
HISTORY: dict[str, tuple[dt.date, tuple[tuple[str, dt.date, str | None], ...]]] = {
    "forma-sud-conseil": (D(2025, 6, 1), (
        ("catalogue-programmes", D(2026, 9, 10), "Catalogue 2026-2027 publié sur le site"),
        ("supports-pedagogiques", D(2026, 7, 3), None),
        ("livret-accueil", D(2026, 9, 1), "Livret d'accueil version 5"),
        ("documents-logistiques", D(2026, 3, 15), None),
        ("documents-administratifs", D(2026, 4, 2), "CGV et modèle de convention 2026"),
        ("indicateurs-resultats", D(2026, 7, 10), "Tableau des indicateurs du 1er semestre 2026"),
        ("taux-certification", D(2026, 2, 20), None),
        ("suivi-reclamations", D(2026, 8, 1), None),
        ("procedures-amelioration", D(2026, 6, 30), None),
        ("dossiers-formateurs", D(2026, 1, 20), None),
        ("veille-legale", D(2026, 3, 10), None),
        ("veille-legale", D(2026, 6, 15), "Note de veille de juin"),
        ("veille-metiers", D(2026, 9, 25), "Synthèse de l'étude de branche"),
        ("veille-innovation", D(2026, 5, 12), None),
        ("handicap-partenaires", D(2026, 2, 3), None),
        ("veille-handicap", D(2026, 8, 20), None),
        ("sous-traitants", D(2026, 3, 1), None),
        ("reseau-entreprises", D(2026, 4, 15), None),
        ("revue-dossiers", D(2026, 6, 30), None),
        ("revue-dossiers", D(2026, 9, 30), "Grilles de revue du 3e trimestre"),
        ("suivi-reclamations", D(2026, 11, 20), "Registre des réclamations à jour"),
    )),
    "cfa-batiment-avenir": (D(2025, 1, 15), (
        ("catalogue-programmes", D(2026, 6, 1), None),
        ("supports-pedagogiques", D(2026, 3, 1), None),
        ("livret-accueil", D(2026, 6, 1), None),
        ("documents-logistiques", D(2026, 2, 1), None),
        ("documents-administratifs", D(2026, 2, 1), None),
        ("indicateurs-resultats", D(2025, 12, 10), "Indicateurs de résultats 2025"),
        ("taux-certification", D(2026, 9, 20), None),
        ("suivi-reclamations", D(2026, 10, 5), None),
        ("procedures-amelioration", D(2026, 9, 1), None),
        ("dossiers-formateurs", D(2025, 9, 1), None),
        ("veille-legale", D(2026, 5, 20), None),
        ("veille-metiers", D(2026, 7, 1), None),
        ("veille-innovation", D(2026, 8, 10), None),
        ("handicap-partenaires", D(2026, 1, 10), None),
        ("veille-handicap", D(2026, 9, 15), None),
        ("reseau-entreprises", D(2026, 5, 5), None),
        ("insertion-apprentis", D(2025, 10, 15), "Enquête d'insertion 2025"),
        ("revue-dossiers", D(2026, 4, 30), None),
    )),
    "vae-parcours-reussite": (D(2025, 11, 15), (
        ("catalogue-programmes", D(2026, 9, 1), None),
        ("supports-pedagogiques", D(2026, 9, 1), None),
        ("livret-accueil", D(2026, 9, 1), None),
        ("documents-logistiques", D(2026, 1, 10), None),
        ("documents-administratifs", D(2026, 1, 10), None),
        ("indicateurs-resultats", D(2026, 5, 15), "Indicateurs de résultats 2025-2026"),
        ("taux-certification", D(2026, 6, 30), None),
        ("suivi-reclamations", D(2026, 6, 1), None),
        ("procedures-amelioration", D(2026, 10, 1), None),
        ("dossiers-formateurs", D(2026, 4, 1), None),
        ("veille-legale", D(2026, 9, 1), "Note de veille de septembre"),
        ("veille-metiers", D(2026, 7, 15), None),
        ("veille-innovation", D(2026, 7, 15), None),
        ("handicap-partenaires", D(2026, 3, 1), None),
        ("veille-handicap", D(2026, 9, 1), None),
        ("revue-dossiers", D(2026, 10, 15), None),
    )),
    "claire-martin-formation": (D(2026, 12, 1), (
        ("catalogue-programmes", D(2026, 10, 15), "Fiches programmes version 2"),
        ("livret-accueil", D(2026, 11, 2), None),
    )),
}
DEFAULT_START = D(2026, 12, 15)


def build_task_plans(ws: Workspace) -> None:
    """Instantiate every demo client's plan and record its completions (see the module docstring)."""
    for client in ws.store.list_clients():
        start, done = HISTORY.get(client.id, (DEFAULT_START, ()))
        plan = {t.id for t in lifecycle.plan_tasks(ws, client.id, DEMO_TODAY, start=start)}
        for task_id, day, evidence in done:
            if task_id not in plan:
                raise AssertionError(f"demo: task {task_id} is not in the plan of {client.id}")
            lifecycle.mark_task_done(ws, client.id, task_id, done_on=day, by=client.contact.name if client.contact
                                     else None, evidence_label=evidence, today=DEMO_TODAY)
