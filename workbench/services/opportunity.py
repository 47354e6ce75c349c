"""Opportunity assessments for a workspace: run, store, list the prospects.

:func:`list_prospects` is the entry point for the portfolio view: every client marked as a
prospect or holding an assessment, with its latest verdict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from workbench.domain.opportunity import Assessment, Verdict, assess, parse_answers
from workbench.services.workspace import Workspace
from workbench.store.opportunity import StoredAssessment, latest_assessments, save_assessment


def run_assessment(ws: Workspace, client_id: str, raw_answers: Any, *, today: dt.date,
                   source: str = "réponses", save: bool = True) -> tuple[Assessment, StoredAssessment | None]:
    """Assess a client from raw answers (profile defaults filled in) and store the result."""
    profile = ws.store.get_client(client_id)
    answers = parse_answers(raw_answers, profile, source)
    rates = ws.settings.opportunity
    result = assess(profile, answers, today, day_rate=rates.auditor_day_rate,
                    internal_day_cost=rates.internal_day_cost)
    stored = save_assessment(ws.store, client_id, result) if save else None
    return result, stored


@dataclass(frozen=True)
class Prospect:
    client_id: str
    name: str
    prospect: bool
    """Marked as a prospect in its profile."""
    verdict: str | None
    verdict_label: str | None
    assessed_on: dt.date | None
    revenue_at_stake: int | None
    recommended_support: str | None

    def to_dict(self) -> dict:
        return {"client_id": self.client_id, "name": self.name, "prospect": self.prospect,
                "verdict": self.verdict, "verdict_label": self.verdict_label,
                "assessed_on": self.assessed_on.isoformat() if self.assessed_on else None,
                "revenue_at_stake": self.revenue_at_stake, "recommended_support": self.recommended_support}


def list_prospects(workspace: Workspace) -> list[Prospect]:
    """Prospects of the workspace (profile marked « prospect », or assessed and without mission),
    each with its latest verdict; sorted by client id."""
    latest = latest_assessments(workspace.store)
    out: list[Prospect] = []
    for profile in workspace.store.list_clients():
        stored = latest.get(profile.id)
        if not profile.prospect and (stored is None or workspace.store.list_missions(profile.id)):
            continue
        res = stored.result if stored else {}
        out.append(Prospect(
            profile.id, profile.name, profile.prospect,
            stored.verdict if stored else None,
            Verdict(stored.verdict).label if stored else None,
            stored.assessed_on if stored else None,
            res.get("revenue_at_stake"), res.get("recommended_support")))
    return out
