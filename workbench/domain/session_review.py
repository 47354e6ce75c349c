"""Results of a session-file review: per file, per item and per indicator, and what they suggest.

Pure functions of the sampled sessions, the checklist and the item reviews.

* **Per file**: the items that apply, how many are present, missing, without object or not yet
  checked; a file is *complete* when every applicable item is present or without object.
* **Per item**: « 3 dossiers sur 5 sans évaluation à froid » — among the reviewed files where the
  item applies (checked, and not « sans objet »), how many lack it.
* **Per indicator**: the files lacking at least one item mapped to it. These become findings for
  the gap analysis (risk flags) and a **suggested verdict** for the consultant, never set by the
  software. Suggestion rule (a heuristic of this project): no file lacking → « Conforme » on the
  files seen; fewer than half lacking → « NC mineure » (« NC majeure » on a major-only indicator);
  half or more lacking → « NC majeure », since the practice looks systematic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from workbench.core.vocab import Verdict
from workbench.domain.checklist import Checklist, Item, ReviewStatus
from workbench.domain.sessions import Session

SUGGESTION_RULE = (
    "Verdict suggéré (heuristique du projet, jamais appliqué automatiquement) : aucun dossier "
    "incomplet → Conforme sur les dossiers vus ; moins de la moitié → NC mineure (NC majeure si "
    "l'indicateur n'admet que des NC majeures) ; la moitié ou plus → NC majeure."
)


class ItemReview(BaseModel):
    """The reviewer's finding for one checklist item of one session file, in one mission.

    Two voices: ``note`` and ``evidence`` are shown to the client (report, self-review file);
    ``private_note`` is the consultant's alone and never leaves the workbench.
    """

    model_config = ConfigDict(extra="forbid")

    mission_id: str
    reference: str
    item_id: str
    status: ReviewStatus = ReviewStatus.UNCHECKED
    note: str = ""
    evidence: str = Field(default="", description="What was seen (document, place, date).")
    private_note: str = Field(default="", description="The consultant's own note: never in a client output.")
    updated_at: dt.datetime | None = None
    updated_by: str | None = None

    FIELDS: ClassVar[tuple[str, ...]] = ("status", "note", "evidence", "private_note")


@dataclass(frozen=True)
class ItemLine:
    item: Item
    status: ReviewStatus
    note: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class FileResult:
    session: Session
    lines: tuple[ItemLine, ...]

    def _n(self, status: ReviewStatus) -> int:
        return sum(1 for line in self.lines if line.status == status)

    @property
    def present(self) -> int:
        return self._n(ReviewStatus.PRESENT)

    @property
    def missing(self) -> int:
        return self._n(ReviewStatus.MISSING)

    @property
    def not_applicable(self) -> int:
        return self._n(ReviewStatus.NOT_APPLICABLE)

    @property
    def unchecked(self) -> int:
        return self._n(ReviewStatus.UNCHECKED)

    @property
    def reviewed(self) -> bool:
        """Every applicable item has a status."""
        return self.unchecked == 0

    @property
    def started(self) -> bool:
        return self.unchecked < len(self.lines)

    @property
    def complete(self) -> bool:
        return self.reviewed and self.missing == 0

    @property
    def completeness(self) -> float | None:
        """Share of the items expected (not « sans objet ») found present, among those checked."""
        expected = self.present + self.missing
        return self.present / expected if expected else None

    @property
    def missing_items(self) -> list[ItemLine]:
        return [line for line in self.lines if line.status == ReviewStatus.MISSING]


@dataclass(frozen=True)
class ItemTally:
    item: Item
    checked: int
    """Reviewed files where the item applies and has a status other than « sans objet »."""
    lacking: tuple[str, ...]

    @property
    def message(self) -> str:
        return f"{len(self.lacking)} dossier{'s' if len(self.lacking) > 1 else ''} sur {self.checked} sans « {self.item.label.lower()} »"


@dataclass(frozen=True)
class IndicatorFinding:
    number: int
    title: str
    checked: int
    """Files where at least one item mapped to the indicator was checked."""
    lacking: tuple[str, ...]
    items: tuple[ItemTally, ...]
    suggested: Verdict
    current: Verdict | None = None

    @property
    def share(self) -> float:
        return len(self.lacking) / self.checked if self.checked else 0.0

    @property
    def differs(self) -> bool:
        """The consultant's verdict is less severe than the suggestion (or not given yet)."""
        rank = {Verdict.CONFORME: 0, Verdict.NC_MINEURE: 1, Verdict.NC_MAJEURE: 2}
        if self.current is None or self.current not in rank:
            return self.lacking != ()
        return rank[self.current] < rank.get(self.suggested, 0)

    @property
    def message(self) -> str:
        parts = [t.message for t in self.items if t.lacking]
        head = (f"Revue des dossiers : {len(self.lacking)} dossier{'s' if len(self.lacking) > 1 else ''} "
                f"sur {self.checked} incomplet{'s' if len(self.lacking) > 1 else ''} pour cet indicateur")
        text = head + (f" ({' ; '.join(parts)})" if parts else "") + f". Verdict suggéré : {self.suggested.label}"
        if self.current is not None:
            text += f" (verdict actuel : {self.current.label})"
        return text + "."


@dataclass(frozen=True)
class ReviewResults:
    files: tuple[FileResult, ...]
    items: tuple[ItemTally, ...]
    indicators: tuple[IndicatorFinding, ...]
    missing_references: tuple[str, ...] = field(default=())
    """Sampled references no longer among the client's sessions."""

    @property
    def reviewed(self) -> int:
        return sum(1 for f in self.files if f.reviewed)

    @property
    def complete(self) -> int:
        return sum(1 for f in self.files if f.complete)

    @property
    def finished(self) -> bool:
        return bool(self.files) and all(f.reviewed for f in self.files)

    @property
    def findings(self) -> list[IndicatorFinding]:
        return [f for f in self.indicators if f.lacking]

    def findings_by_number(self) -> dict[int, IndicatorFinding]:
        return {f.number: f for f in self.findings}


def suggest(lacking: int, checked: int, major_only: bool) -> Verdict:
    if not lacking:
        return Verdict.CONFORME
    if lacking * 2 >= checked or major_only:
        return Verdict.NC_MAJEURE
    return Verdict.NC_MINEURE


def review_results(
    sessions: Sequence[Session],
    checklist: Checklist,
    reviews: Iterable[ItemReview],
    *,
    indicator_titles: Mapping[int, str],
    major_only: Iterable[int] = (),
    verdicts: Mapping[int, Verdict] | None = None,
    missing_references: Sequence[str] = (),
) -> ReviewResults:
    """Results of the review of ``sessions`` (the sample, in order). Indicators absent from
    ``indicator_titles`` (not in the mission's referential) are left out of the findings."""
    by_key = {(r.reference, r.item_id): r for r in reviews}
    major = set(major_only)
    verdicts = verdicts or {}
    files = []
    for s in sessions:
        lines = []
        for item in checklist.for_session(s):
            r = by_key.get((s.reference, item.id))
            lines.append(ItemLine(item, r.status, r.note, r.evidence) if r else ItemLine(item, ReviewStatus.UNCHECKED))
        files.append(FileResult(s, tuple(lines)))

    tallies: list[ItemTally] = []
    for item in checklist.items:
        checked, lacking = 0, []
        for f in files:
            for line in f.lines:
                if line.item.id != item.id or line.status in (ReviewStatus.UNCHECKED, ReviewStatus.NOT_APPLICABLE):
                    continue
                checked += 1
                if line.status == ReviewStatus.MISSING:
                    lacking.append(f.session.reference)
        if checked:
            tallies.append(ItemTally(item, checked, tuple(lacking)))

    findings = []
    for number in sorted({n for i in checklist.items for n in i.indicators}):
        if number not in indicator_titles:
            continue
        mine = [t for t in tallies if number in t.item.indicators]
        checked_refs: set[str] = set()
        lacking_refs: list[str] = []
        for f in files:
            lines = [ln for ln in f.lines if number in ln.item.indicators
                     and ln.status in (ReviewStatus.PRESENT, ReviewStatus.MISSING)]
            if not lines:
                continue
            checked_refs.add(f.session.reference)
            if any(ln.status == ReviewStatus.MISSING for ln in lines):
                lacking_refs.append(f.session.reference)
        if not checked_refs:
            continue
        findings.append(IndicatorFinding(
            number, indicator_titles[number], len(checked_refs), tuple(lacking_refs), tuple(mine),
            suggest(len(lacking_refs), len(checked_refs), number in major), verdicts.get(number)))
    return ReviewResults(tuple(files), tuple(tallies), tuple(findings), tuple(missing_references))
