"""Widget-free state of the opportunity questionnaire: answers being edited, live preview, save.

One model per screen. Values come in as the widgets give them (numbers, booleans, dates); the
model validates them with the same rules as ``workbench assess`` and keeps the French error of
the last invalid change instead of raising, so the screen can show it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.domain.opportunity import (
    Answers,
    Assessment,
    Questionnaire,
    default_answers,
    load_questionnaire,
)
from workbench.services.opportunity import run_assessment
from workbench.services.workspace import Workspace
from workbench.store.opportunity import StoredAssessment, list_assessments


class OpportunityModel:
    def __init__(self, workspace: Workspace, client_id: str, *, today: dt.date | None = None) -> None:
        self.workspace = workspace
        self.client_id = client_id
        self.profile = workspace.store.get_client(client_id)
        self.questionnaire: Questionnaire = load_questionnaire()
        self.today = today or dt.date.today()
        history = list_assessments(workspace.store, client_id)
        start: dict[str, Any] = Answers.model_validate(default_answers(self.profile)).model_dump()
        if history:
            start.update(history[-1].answers)
        self.values: dict[str, Any] = start
        self.error: str | None = None
        self.saved: StoredAssessment | None = None
        self.preview: Assessment | None = None
        self.refresh()

    def set(self, key: str, value: Any) -> None:
        if key not in Answers.model_fields:
            raise KeyError(key)
        self.values[key] = value
        self.refresh()

    def refresh(self) -> None:
        """Recompute the preview (nothing is stored)."""
        try:
            self.preview, _ = run_assessment(self.workspace, self.client_id, self._raw(), today=self.today,
                                             source="Questionnaire", save=False)
            self.error = None
        except WorkbenchError as exc:
            self.preview, self.error = None, exc.message

    def save(self) -> StoredAssessment | None:
        """Store the assessment of the current answers; None (and ``error`` set) when invalid."""
        try:
            _, self.saved = run_assessment(self.workspace, self.client_id, self._raw(), today=self.today,
                                           source="Questionnaire")
            self.error = None
        except WorkbenchError as exc:
            self.error = exc.message
            return None
        return self.saved

    def history(self) -> list[StoredAssessment]:
        return list_assessments(self.workspace.store, self.client_id)

    def _raw(self) -> dict[str, Any]:
        raw = dict(self.values)
        if isinstance(raw.get("deadline"), dt.date):
            raw["deadline"] = raw["deadline"].isoformat()
        return raw
