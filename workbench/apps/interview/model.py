"""Widget-free state of the on-site interview: one object per screen, every change saved at once.

:class:`InterviewModel` binds a mission to its client, referential version, interview grid and
store. It knows which indicators apply (non-applicable ones are kept, with their reason), where
the consultant is, which indicators the filters let through, and how far the interview has
gone. Every save goes straight to the store; rules (justification for "non applicable", no minor
NC on a major-only indicator) are enforced here, with French messages, so that any front end
gets them.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from workbench.core.dates import parse_fr_date
from workbench.core.errors import ConflictError
from workbench.core.vocab import QuestionKind, Role, Verdict
from workbench.domain.profile import ClientProfile
from workbench.domain.records import Answer, Evidence, Mission
from workbench.referential.grids import (
    Grid,
    GridLibrary,
    ItemSource,
    Question,
    grids_for,
)
from workbench.referential.library import Criterion, Referential
from workbench.services.interview_scope import Entry, InterviewError, interview_scope, is_surveillance
from workbench.services.workspace import Workspace
from workbench.store.evidence_files import EvidenceFile, attach, check_file, files_by_evidence

STATE_CURRENT = "interview.current_indicator"


class AnswerConflict(InterviewError):
    """The answer was changed in another tab or on another computer since this screen read it."""

    def __init__(self, *, entry: Entry, field: str, mine: Any, theirs: Any, by: str | None, at: Any) -> None:
        self.entry, self.field, self.mine, self.theirs, self.by, self.at = entry, field, mine, theirs, by, at
        when = f" à {at.astimezone():%H:%M:%S}" if isinstance(at, dt.datetime) else ""
        who = f" par {by}" if by else ""
        super().__init__(
            f"Indicateur {entry.number} : {FIELD_LABELS.get(field, field)} a été modifié ailleurs{who}{when} "
            "(autre onglet ou autre poste) depuis son affichage. Rien n'a été écrasé : choisissez la valeur à garder."
        )


FIELD_LABELS = {"verdict": "le verdict", "finding": "le constat", "private_notes": "les notes privées",
                "na_justification": "la justification", "respondent": "l'interlocuteur"}


@dataclass(frozen=True)
class Progress:
    evaluated: int
    applicable: int
    per_criterion: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.evaluated / self.applicable if self.applicable else 1.0

    @property
    def label(self) -> str:
        return f"{self.evaluated} / {self.applicable} indicateurs applicables évalués"


class InterviewModel:
    def __init__(self, workspace: Workspace, mission_id: str, *, grids: GridLibrary | None = None) -> None:
        self.workspace = workspace
        self.store = workspace.store
        self._lock = threading.RLock()
        mission, client, referential = workspace.mission_context(mission_id)
        self.mission: Mission = mission
        self.client: ClientProfile = client
        self.referential: Referential = referential
        scope = interview_scope(self.store, mission, client, referential, grids or grids_for(workspace.library))
        self.grid: Grid = scope.grid
        self.full_grid: Grid = scope.full_grid
        self.entries: list[Entry] = scope.entries
        self._by_id = {e.id: i for i, e in enumerate(self.entries)}
        self._answers: dict[str, Answer] = self.store.list_answers(mission.id)
        self._evidence: dict[str, list[Evidence]] = {}
        self.only_unevaluated = False
        self.only_nc = False
        self.role: Role | None = None
        self.last_saved_at: dt.datetime | None = None
        self.conflict: AnswerConflict | None = None
        self.show_not_applicable = False
        saved = self.store.get_state(mission.id, STATE_CURRENT)
        self._index = self._by_id.get(saved, 0) if isinstance(saved, str) else 0

    # -- context -------------------------------------------------------------------------
    @property
    def is_surveillance(self) -> bool:
        return is_surveillance(self.mission)

    @property
    def is_new_entrant(self) -> bool:
        ne = self.client.new_entrant
        return ne.all_categories or bool(ne.categories)

    def criteria(self) -> list[Criterion]:
        present = {e.criterion for e in self.entries}
        return [c for c in self.referential.criteria if c.number in present]

    def entry(self, indicator_id: str | None = None) -> Entry:
        if indicator_id is None:
            return self.current
        try:
            return self.entries[self._by_id[indicator_id]]
        except KeyError:
            raise InterviewError(
                f"L'indicateur « {indicator_id} » ne fait pas partie de cet entretien."
            ) from None

    def entry_by_number(self, number: int) -> Entry:
        for e in self.entries:
            if e.number == number:
                return e
        numbers = ", ".join(str(e.number) for e in self.entries)
        raise InterviewError(f"L'indicateur {number} ne fait pas partie de cet entretien (indicateurs : {numbers}).")

    def answer(self, indicator_id: str | None = None) -> Answer:
        ind_id = self.entry(indicator_id).id
        return self._answers.get(ind_id) or Answer(mission_id=self.mission.id, indicator_id=ind_id)

    def verdict(self, indicator_id: str | None = None) -> Verdict:
        return self.answer(indicator_id).verdict

    def evidence(self, indicator_id: str | None = None) -> list[Evidence]:
        ind_id = self.entry(indicator_id).id
        if ind_id not in self._evidence:
            self._evidence[ind_id] = self.store.list_evidence(self.mission.id, ind_id)
        return list(self._evidence[ind_id])

    # -- position and navigation ---------------------------------------------------------
    @property
    def current(self) -> Entry:
        return self.entries[self._index]

    @property
    def position(self) -> int:
        return self._index

    def is_not_applicable(self, entry: Entry) -> bool:
        """Out of the client's scope, or classed « Non applicable » by the consultant."""
        return not entry.applicable or self.verdict(entry.id) == Verdict.NON_APPLICABLE

    def matches(self, entry: Entry) -> bool:
        verdict = self.verdict(entry.id)
        if not self.show_not_applicable and self.is_not_applicable(entry) and entry is not self.current:
            return False
        if self.only_unevaluated and (verdict != Verdict.NON_EVALUE or not entry.applicable):
            return False
        if self.only_nc and not verdict.is_nc:
            return False
        return not (self.role is not None and self.role not in entry.roles)

    def visible(self) -> list[Entry]:
        return [e for e in self.entries if self.matches(e)]

    def set_filters(self, *, only_unevaluated: bool | None = None, only_nc: bool | None = None,
                    role: Role | str | None | type[Ellipsis] = ...,
                    show_not_applicable: bool | None = None) -> list[Entry]:
        """Change filters; when the current indicator no longer matches, move to the next one that does
        (or, at the end, to the last one that does). Non-applicable indicators are left out of the
        walk unless ``show_not_applicable``."""
        if show_not_applicable is not None:
            self.show_not_applicable = show_not_applicable
        if only_unevaluated is not None:
            self.only_unevaluated = only_unevaluated
        if only_nc is not None:
            self.only_nc = only_nc
        if role is not ...:
            self.role = Role(role) if role else None
        shown = self.visible()
        if shown and not self.matches(self.current):
            after = [e for e in shown if self._by_id[e.id] > self._index]
            target = after[0] if after else shown[-1]
            self._move_to(self._by_id[target.id])
        return shown

    def _move_to(self, index: int) -> Entry:
        if index != self._index:
            self._index = index
            with self._lock:
                self.store.set_state(self.mission.id, STATE_CURRENT, self.current.id)
        return self.current

    def go_next(self) -> bool:
        """Move to the next indicator the filters let through; False at the end."""
        for i in range(self._index + 1, len(self.entries)):
            if self.matches(self.entries[i]):
                self._move_to(i)
                return True
        return False

    def go_prev(self) -> bool:
        for i in range(self._index - 1, -1, -1):
            if self.matches(self.entries[i]):
                self._move_to(i)
                return True
        return False

    def jump(self, number: int) -> Entry:
        """Go to an indicator by number, whatever the filters (an explicit choice)."""
        return self._move_to(self._by_id[self.entry_by_number(number).id])

    def jump_to(self, indicator_id: str) -> Entry:
        return self._move_to(self._by_id[self.entry(indicator_id).id])

    def jump_criterion(self, criterion: int) -> Entry:
        """First indicator of a criterion that the filters let through (or its first one)."""
        in_crit = [e for e in self.entries if e.criterion == criterion]
        if not in_crit:
            raise InterviewError(f"Aucun indicateur du critère {criterion} dans cet entretien.")
        target = next((e for e in in_crit if self.matches(e)), in_crit[0])
        return self._move_to(self._by_id[target.id])

    def has_next(self) -> bool:
        return any(self.matches(e) for e in self.entries[self._index + 1:])

    def has_prev(self) -> bool:
        return any(self.matches(e) for e in self.entries[: self._index])

    # -- progress ------------------------------------------------------------------------
    def progress(self) -> Progress:
        per: dict[int, list[int]] = {c.number: [0, 0] for c in self.criteria()}
        for e in self.entries:
            if not e.applicable:
                continue
            per[e.criterion][1] += 1
            if self.verdict(e.id) != Verdict.NON_EVALUE:
                per[e.criterion][0] += 1
        evaluated = sum(v[0] for v in per.values())
        applicable = sum(v[1] for v in per.values())
        return Progress(evaluated, applicable, {k: (v[0], v[1]) for k, v in per.items()})

    # -- saves ---------------------------------------------------------------------------
    def _save(self, entry: Entry, *, force: bool = False, **changes: Any) -> Answer:
        """Save, unless a field changed was modified elsewhere since this screen read it: then
        :class:`AnswerConflict` (nothing written, both values kept for the consultant to choose).
        ``force`` writes anyway (the consultant chose their value; history keeps the other)."""
        with self._lock:
            seen = self._answers.get(entry.id) or Answer(mission_id=self.mission.id, indicator_id=entry.id)
            expected = None if force else {f: getattr(seen, f) for f in changes if f in Answer.ANSWER_FIELDS}
            try:
                saved = self.store.save_answer(self.mission.id, entry.id, expected=expected, **changes)
            except ConflictError as exc:
                self.conflict = AnswerConflict(entry=entry, field=exc.field, mine=exc.attempted,
                                               theirs=exc.current, by=exc.changed_by, at=exc.changed_at)
                raise self.conflict from None
            self._answers[entry.id] = saved
            self.last_saved_at = dt.datetime.now()
        return saved

    def resolve_conflict(self, *, keep_mine: bool) -> Answer:
        """Settle the pending conflict: write the consultant's value over the other one (history
        keeps both), or take the value saved elsewhere and forget the refused one."""
        conflict = self.conflict
        if conflict is None:
            raise InterviewError("Aucun conflit en attente.")
        self.conflict = None
        if keep_mine:
            return self._save(conflict.entry, force=True, **{conflict.field: conflict.mine})
        return self.reload(conflict.entry.id)

    def reload(self, indicator_id: str | None = None) -> Answer:
        """Read an answer again from the store (after a conflict, or to see another tab's changes)."""
        entry = self.entry(indicator_id)
        with self._lock:
            fresh = self.store.get_answer(self.mission.id, entry.id)
            self._answers[entry.id] = fresh
        return fresh

    def set_verdict(self, verdict: Verdict | str, *, justification: str | None = None,
                    indicator_id: str | None = None) -> Answer:
        entry = self.entry(indicator_id)
        try:
            v = Verdict(verdict)
        except ValueError:
            allowed = ", ".join(x.label for x in Verdict)
            raise InterviewError(f"Verdict inconnu : « {verdict} » (possibles : {allowed}).") from None
        if v == Verdict.NC_MINEURE and entry.major_only:
            raise InterviewError(
                f"L'indicateur {entry.number} ne peut donner lieu qu'à une NC majeure : "
                "tout manquement, même partiel, est majeur. Choisissez « NC majeure » ou « Conforme »."
            )
        changes: dict[str, Any] = {"verdict": v}
        if v == Verdict.NON_APPLICABLE:
            text = (justification if justification is not None else self.answer(entry.id).na_justification)
            text = text.strip()
            if not text and not entry.applicable:
                text = entry.reason
            if not text:
                raise InterviewError(
                    f"Justification obligatoire pour classer l'indicateur {entry.number} non applicable : "
                    "saisissez d'abord la raison (ex. : aucune sous-traitance)."
                )
            changes["na_justification"] = text
        elif justification is not None:
            changes["na_justification"] = justification.strip()
        return self._save(entry, **changes)

    def set_na_justification(self, text: str, *, indicator_id: str | None = None) -> Answer:
        entry = self.entry(indicator_id)
        text = text.strip()
        if not text and self.verdict(entry.id) == Verdict.NON_APPLICABLE:
            raise InterviewError(
                f"L'indicateur {entry.number} est classé non applicable : sa justification ne peut pas être vide."
            )
        return self._save(entry, na_justification=text)

    def set_finding(self, text: str, *, indicator_id: str | None = None) -> Answer:
        """The finding written for the client (« constat »), printed in the report."""
        return self._save(self.entry(indicator_id), finding=text)

    def set_private_notes(self, text: str, *, indicator_id: str | None = None) -> Answer:
        """The consultant's own notes, kept out of every client output."""
        return self._save(self.entry(indicator_id), private_notes=text)

    def set_respondent(self, who: str | None, *, indicator_id: str | None = None) -> Answer:
        who = (who or "").strip() or None
        return self._save(self.entry(indicator_id), respondent=who)

    def set_response(self, question_id: str, value: Any, *, indicator_id: str | None = None) -> Answer:
        entry = self.entry(indicator_id)
        question = entry.question(question_id)
        clean = normalize_response(question, value)  # None clears the answer
        # Merged key by key inside the store's transaction: another open session keeps its answers.
        return self._save(entry, merge={"responses": {question.id: clean}})

    def set_proof(self, proof: str, checked: bool, *, indicator_id: str | None = None) -> Answer:
        entry = self.entry(indicator_id)
        if proof not in entry.proofs:
            raise InterviewError(f"Preuve inconnue pour l'indicateur {entry.number} : « {proof} ».")
        return self._save(entry, merge={"checklist": {proof: bool(checked)}})

    def add_evidence(self, label: str, location: str = "", represents_date: dt.date | str | None = None,
                     *, indicator_id: str | None = None, file: tuple[str, bytes] | None = None) -> Evidence:
        """Note an evidence item; ``file`` (name, content) is checked first, then copied into the
        client's folder of the workspace and linked to the item."""
        entry = self.entry(indicator_id)
        label = (label or "").strip()
        if not label and file is not None:
            label = file[0]
        if not label:
            raise InterviewError("Indiquez l'intitulé de la preuve avant de l'ajouter.")
        day = _parse_date(represents_date, "date représentée par la preuve")
        if file is not None:
            check_file(*file)  # refused before anything is saved
        with self._lock:
            saved = self.store.add_evidence(Evidence(
                mission_id=self.mission.id, indicator_id=entry.id, label=label,
                location=(location or "").strip(), represents_date=day,
            ))
            self._evidence.setdefault(entry.id, self.store.list_evidence(self.mission.id, entry.id))
            if all(e.id != saved.id for e in self._evidence[entry.id]):
                self._evidence[entry.id].append(saved)
            if file is not None and saved.id is not None:
                attach(self.store, self.workspace.path, saved.id, self.client.id, *file)  # type: ignore[arg-type]
            self.last_saved_at = dt.datetime.now()
        return saved

    def evidence_files(self, indicator_id: str | None = None) -> dict[int, EvidenceFile]:
        ids = [e.id for e in self.evidence(indicator_id) if e.id is not None]
        return files_by_evidence(self.store, ids)  # type: ignore[arg-type]

    def remove_evidence(self, evidence_id: int, *, indicator_id: str | None = None) -> None:
        entry = self.entry(indicator_id)
        if all(e.id != evidence_id for e in self.evidence(entry.id)):
            raise InterviewError(f"Cette preuve n'appartient pas à l'indicateur {entry.number}.")
        with self._lock:
            self.store.remove_evidence(evidence_id)
            self._evidence[entry.id] = [e for e in self._evidence[entry.id] if e.id != evidence_id]
            self.last_saved_at = dt.datetime.now()

    # -- labels --------------------------------------------------------------------------
    def source_label(self, entry: Entry) -> str | None:
        return None if entry.item.source == ItemSource.GRID else entry.item.reason


def _parse_date(value: dt.date | str | None, what: str) -> dt.date | None:
    try:
        return parse_fr_date(value)
    except ValueError as exc:
        raise InterviewError(f"{what.capitalize()} invalide : « {value} » ({exc}).") from None


def normalize_response(question: Question, value: Any) -> Any:
    """Check a response against its question kind; None means "no answer"."""
    kind = question.kind
    if value is None or (isinstance(value, str) and not value.strip() and kind != QuestionKind.TEXT):
        return None
    if kind == QuestionKind.YES_NO:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("oui", "non"):
            return value.strip().lower() == "oui"
        raise InterviewError(f"Réponse oui / non attendue à la question « {question.text} ».")
    if kind == QuestionKind.SINGLE_CHOICE:
        if value not in question.choices:
            raise InterviewError(f"Choix non prévu pour « {question.text} » : « {value} ».")
        return value
    if kind == QuestionKind.MULTIPLE_CHOICE:
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise InterviewError(f"Liste de choix attendue pour « {question.text} ».")
        chosen = set(value)
        unknown = [v for v in chosen if v not in question.choices]
        if unknown:
            raise InterviewError(f"Choix non prévu pour « {question.text} » : « {unknown[0]} ».")
        ordered = [c for c in question.choices if c in chosen]
        return ordered or None
    if kind == QuestionKind.TEXT:
        if not isinstance(value, str):
            raise InterviewError(f"Texte attendu pour « {question.text} ».")
        return value if value.strip() else None
    if kind == QuestionKind.DATE:
        day = _parse_date(value, f"date pour « {question.text} »")
        return day.isoformat() if day else None
    if kind == QuestionKind.NUMBER:
        if isinstance(value, str):
            try:
                value = float(value.strip().replace("\u202f", "").replace(" ", "").replace(",", "."))
            except ValueError:
                raise InterviewError(f"Nombre attendu pour « {question.text} » : « {value} ».") from None
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) or math.isinf(value):
            raise InterviewError(f"Nombre attendu pour « {question.text} ».")
        return int(value) if float(value).is_integer() else float(value)
    raise InterviewError(f"Type de question non géré : {kind}.")  # pragma: no cover
