"""The « Revue des dossiers » section of the client report: its context and its provenance hash."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from workbench.domain.records import Mission
from workbench.domain.sampling import SIZE_RULE, STRATUM_LABELS
from workbench.domain.session_review import SUGGESTION_RULE
from workbench.services.sessions import mission_review
from workbench.services.workspace import Workspace


def session_review_context(ws: Workspace, mission: Mission) -> dict[str, Any]:
    """What ``sections/dossiers.html.j2`` needs; ``review`` is None-like when nothing was sampled."""
    review = mission_review(ws, mission.client_id, mission.id)
    return {"review": review if review.sample is not None else None, "stratum_labels": STRATUM_LABELS,
            "size_rule": SIZE_RULE, "suggestion_rule": SUGGESTION_RULE}


def session_review_hash(ws: Workspace, mission: Mission) -> str:
    """SHA-256 of the sample, the sampled sessions and the item reviews (content only)."""
    review = mission_review(ws, mission.client_id, mission.id)
    payload = {
        "sample": review.sample.to_dict() if review.sample else None,
        "sessions": [s.content() for s in review.sessions],
        "reviews": [r.model_dump(mode="json", include={"reference", "item_id", "status", "note", "evidence"})
                    for r in review.reviews],
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
