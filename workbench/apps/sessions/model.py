"""Widget-free state of the session-file review screen: which file is open, every change saved at once.

Every save goes through :func:`workbench.services.sessions.save_item_reviews` (one transaction,
the mission's history, the same checks as the command line); the file being reviewed is kept in
the mission's working state so that the screen reopens where the consultant left it.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from workbench.core.errors import UsageError
from workbench.domain.checklist import ReviewStatus
from workbench.domain.session_review import FileResult
from workbench.services.sessions import MissionReview, mission_review, save_item_reviews
from workbench.services.workspace import Workspace

STATE_CURRENT = "sessions.current_file"


class ReviewModel:
    def __init__(self, workspace: Workspace, client_id: str, mission_id: str | None = None) -> None:
        self.workspace = workspace
        self._lock = threading.RLock()
        self.review: MissionReview = mission_review(workspace, client_id, mission_id)
        if self.review.sample is None or self.review.results is None:
            raise UsageError(f"Aucun échantillon pour la mission {self.review.mission.id} : tirez-le d'abord "
                             f"(workbench sessions sample {client_id}).")
        if not self.review.results.files:
            raise UsageError("Aucune des sessions de l'échantillon n'est connue : réimportez les sessions.")
        self.client_id = client_id
        self.last_saved_at: dt.datetime | None = None
        saved = workspace.store.get_state(self.review.mission.id, STATE_CURRENT)
        refs = self.references()
        self._current = saved if saved in refs else refs[0]

    @property
    def mission(self):  # noqa: ANN201 - the Mission record
        return self.review.mission

    def references(self) -> list[str]:
        assert self.review.results is not None
        return [f.session.reference for f in self.review.results.files]

    @property
    def current(self) -> FileResult:
        assert self.review.results is not None
        return next(f for f in self.review.results.files if f.session.reference == self._current)

    def open(self, reference: str) -> FileResult:
        if reference not in self.references():
            self.review.session(reference)  # raises the French error naming the sample
        with self._lock:
            self._current = reference
            self.workspace.store.set_state(self.mission.id, STATE_CURRENT, reference)
        return self.current

    def save(self, item_id: str, **fields: Any) -> None:
        """Save one item of the open file (status, note and/or evidence)."""
        if "status" in fields:
            fields["status"] = ReviewStatus(fields["status"])
        for key in ("note", "evidence", "private_note"):
            if key in fields:
                fields[key] = (fields[key] or "").strip()
        with self._lock:
            _, self.review = save_item_reviews(self.workspace, self.client_id, self.mission.id,
                                               [(self._current, item_id, fields)])
            self.last_saved_at = dt.datetime.now()

    def private_note(self, item_id: str) -> str:
        """The consultant's private note on an item of the open file (shown only in this app)."""
        ref = self._current
        return next((r.private_note for r in self.review.reviews if r.reference == ref and r.item_id == item_id), "")

    def progress(self) -> tuple[int, int, int]:
        """(files fully checked, complete files, files in the sample)."""
        res = self.review.results
        assert res is not None
        return res.reviewed, res.complete, len(res.files)
