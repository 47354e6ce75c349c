"""Sections of the client report as plain rows and sentences, shared by the HTML templates and the
Word report so that both say the same thing: « Ce qui change pour vous » (:func:`changes_view`) and
« Préparation de l'audit de surveillance » (:func:`surveillance_view`). Client wording only.
"""

from __future__ import annotations

from typing import Any, Protocol

from workbench.core.dates import fr_date_long
from workbench.domain.gaps import GapAnalysis
from workbench.referential.diff import VersionDiff
from workbench.referential.library import Referential
from workbench.reports.wording import PROVISIONAL_NOTE, client_text

UNCERTAIN_CHANGE = "Point à confirmer à la parution des textes d'application."
NO_CHANGE = "Aucun changement sur les indicateurs de votre périmètre."
SURVEILLANCE_NOTE = ("L'audit vérifie aussi l'affichage du certificat (locaux et site internet) et les mises à jour "
                     "administratives (NDA, SIREN, direction, organigramme, sites).")


class ChangesLike(Protocol):
    """What :class:`workbench.reports.content.Changes` holds."""

    next_date: Any
    next_label: str
    target: Referential
    diff: VersionDiff


def _decree(ref: Referential) -> str:
    return ref.decree[:1].lower() + ref.decree[1:]


def changes_view(changes: ChangesLike | None, referential: Referential, analysis: GapAnalysis) -> dict[str, Any] | None:
    """« Ce qui change pour vous »: the next audit's version against this mission's, for the client's scope."""
    if changes is None:
        return None
    target = changes.target
    statuses = {s.number: s for s in analysis.statuses}

    def situation(number: int) -> str:
        s = statuses.get(number)
        if s is None:
            return "Nouvel indicateur"
        return s.verdict.label if s.in_scope else "Non applicable aujourd'hui"

    rows = [{"indicator": f"{c.number} — {c.title}", "nature": c.kind.label, "change": client_text(c.summary),
             "uncertain": UNCERTAIN_CHANGE if c.uncertain else "", "situation": situation(c.number)}
            for c in (*changes.diff.added, *changes.diff.changed)]
    rows += [{"indicator": str(n), "nature": "Supprimé", "change": "", "uncertain": "", "situation": ""}
             for n in changes.diff.removed]
    provisional = target.status.value == "provisional" and referential.status.value != "provisional"
    return {
        "intro": (f"Votre prochain audit ({changes.next_label.lower()}, vers le {fr_date_long(changes.next_date)}) "
                  f"relèvera du référentiel issu du {_decree(target)}, et non plus de celui issu du "
                  f"{_decree(referential)}, utilisé pour cette mission. Voici les indicateurs de votre périmètre "
                  "concernés."),
        "provisional_note": PROVISIONAL_NOTE if provisional else "",
        "rows": rows,
        "empty": "" if rows else NO_CHANGE,
    }


def surveillance_view(analysis: GapAnalysis) -> dict[str, Any]:
    """« Préparation de l'audit de surveillance »: the indicators it checks at the least, with their verdict."""
    rows = [{"indicator": f"{item.status.number} — {item.status.indicator.title}",
             "reasons": " ; ".join(item.reasons), "verdict": item.status.verdict.label}
            for item in analysis.surveillance]
    return {"intro": ("Indicateurs que l'audit de surveillance examinera au minimum "
                      f"({len(rows)}), avec leur verdict actuel :"),
            "rows": rows, "note": SURVEILLANCE_NOTE}
