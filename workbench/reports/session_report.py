"""The « Revue des dossiers » section of the client report: its context and its provenance hash.

:func:`session_review_view` turns the review into plain rows and sentences that both the HTML
section (``sections/dossiers.html.j2``) and the Word report (:mod:`workbench.reports.docx`) print,
so the two say the same thing. Item reviews' private notes are never read here.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from workbench.core.dates import fr_date
from workbench.domain.records import Mission
from workbench.domain.sampling import SIZE_RULE, STRATUM_LABELS
from workbench.domain.session_review import SUGGESTION_RULE
from workbench.services.sessions import MissionReview, mission_review
from workbench.services.workspace import Workspace

INTRO = ("« Si je suis audité demain sur ce dossier, ai-je tous les éléments ? » Les dossiers de session "
         "ci-dessous ont été tirés comme le ferait un auditeur, puis vérifiés point par point (avant, pendant "
         "et après la session).")
FINDINGS_NOTE = f"{SUGGESTION_RULE} Le verdict de chaque indicateur reste celui du consultant."
NO_FINDINGS = "Aucune pièce manquante sur les points vérifiés."


def session_review_context(ws: Workspace, mission: Mission) -> dict[str, Any]:
    """What ``sections/dossiers.html.j2`` needs; ``review`` (and ``view``) are None when nothing was sampled."""
    review = mission_review(ws, mission.client_id, mission.id)
    sampled = review if review.sample is not None else None
    return {"review": sampled, "view": session_review_view(sampled), "stratum_labels": STRATUM_LABELS,
            "size_rule": SIZE_RULE, "suggestion_rule": SUGGESTION_RULE}


def session_review_view(review: MissionReview | None) -> dict[str, Any] | None:
    """The section as plain data (sentences and table rows), or None when there is nothing to show."""
    if review is None or review.sample is None or not review.results:
        return None
    sample, res = review.sample, review.results
    strata = [{"stratum": STRATUM_LABELS[stratum],
               "represented": " ; ".join(f"{value} ({', '.join(refs)})" for value, refs in values.items())}
              for stratum, values in sample.coverage.items()]
    strata += [{"stratum": f"{STRATUM_LABELS[stratum]} — non couvert", "represented": ", ".join(values)}
               for stratum, values in sample.uncovered.items()]
    done = f" — revue terminée le {fr_date(review.completed_on)}" if review.completed_on else ""
    files = [{"reference": f.session.reference, "complete": f.complete,
              "session": f"{f.session.title} ({f.session.category.value}, {fr_date(f.session.start)})",
              "present": f.present, "missing": f.missing, "not_applicable": f.not_applicable,
              "unchecked": f.unchecked,
              "missing_items": " ; ".join(ln.item.label + (f" — {ln.note}" if ln.note else "")
                                          for ln in f.missing_items) or "—"}
             for f in res.files]
    findings = [{"indicator": f"{f.number} — {f.title}",
                 "finding": " ; ".join(t.message for t in f.items if t.lacking),
                 "suggested": f.suggested.label, "current": f.current.label if f.current else "Non évalué"}
                for f in res.findings]
    return {
        "intro": INTRO,
        "sample": f"Échantillon tiré le {fr_date(review.drawn_at.date() if review.drawn_at else None)} : "
                  f"{sample.describe()}",
        "size_rule": SIZE_RULE,
        "strata": strata,
        "files_summary": f"{len(res.files)} dossier(s) : {res.reviewed} entièrement vérifié(s), "
                         f"{res.complete} complet(s){done}.",
        "files": files,
        "missing_references": ("Sessions de l'échantillon absentes des sessions importées : "
                               + ", ".join(res.missing_references) + ".") if res.missing_references else "",
        "findings": findings,
        "findings_note": FINDINGS_NOTE if findings else NO_FINDINGS,
    }


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
