"""Differences between two referential versions, as data reports can use."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.core.vocab import ChangeKind
from workbench.referential.applicability import Scope, evaluate
from workbench.referential.library import Indicator, Referential

# Fields compared structurally, with their French labels.
_FIELDS = {
    "title": "Intitulé",
    "requirement": "Exigence",
    "expected_level": "Niveau attendu",
    "nc.grading": "Gradation des non-conformités",
    "new_entrant.adapted": "Aménagement nouvel entrant",
    "applicability.categories": "Catégories concernées",
    "as_subcontractor.rule": "Règle en sous-traitance",
    "surveillance_minimum": "Périmètre minimal de surveillance",
}


def _get(ind: Indicator, dotted: str) -> object:
    value: object = ind
    for part in dotted.split("."):
        value = getattr(value, part)
    if dotted == "applicability.categories":
        return {k.value: v.model_dump(mode="json") for k, v in value.items()}  # type: ignore[union-attr]
    return value.value if hasattr(value, "value") else value  # enums


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: object
    after: object


@dataclass(frozen=True)
class IndicatorChange:
    number: int
    title: str
    kind: ChangeKind
    summary: str | None
    uncertain: str | None
    fields: tuple[FieldChange, ...]

    def to_dict(self) -> dict:
        return {
            "number": self.number,
            "title": self.title,
            "kind": self.kind.value,
            "kind_label": self.kind.label,
            "summary": self.summary,
            "uncertain": self.uncertain,
            "fields": [
                {"field": f.field, "label": f.label, "before": f.before, "after": f.after}
                for f in self.fields
            ],
        }


@dataclass(frozen=True)
class VersionDiff:
    from_id: str
    to_id: str
    added: tuple[IndicatorChange, ...]
    removed: tuple[int, ...]
    changed: tuple[IndicatorChange, ...]
    unchanged: tuple[int, ...] = field(default=())

    def to_dict(self) -> dict:
        return {
            "from": self.from_id,
            "to": self.to_id,
            "added": [c.to_dict() for c in self.added],
            "removed": list(self.removed),
            "changed": [c.to_dict() for c in self.changed],
            "unchanged": list(self.unchanged),
        }

    def for_numbers(self, numbers: set[int]) -> VersionDiff:
        """Keep only the entries about the given indicator numbers."""
        return VersionDiff(
            self.from_id,
            self.to_id,
            tuple(c for c in self.added if c.number in numbers),
            tuple(n for n in self.removed if n in numbers),
            tuple(c for c in self.changed if c.number in numbers),
            tuple(n for n in self.unchanged if n in numbers),
        )


def diff(old: Referential, new: Referential) -> VersionDiff:
    """Indicators added, removed and changed from ``old`` to ``new`` (matched by number)."""
    old_by_num = {i.number: i for i in old.indicators}
    new_by_num = {i.number: i for i in new.indicators}
    added, changed, unchanged = [], [], []
    for num, ind in new_by_num.items():
        declared = ind.change
        if num not in old_by_num:
            added.append(
                IndicatorChange(
                    num,
                    ind.title,
                    ChangeKind.NEW,
                    declared.summary if declared else None,
                    declared.uncertain if declared else None,
                    (),
                )
            )
            continue
        before = old_by_num[num]
        fields = tuple(
            FieldChange(name, label, _get(before, name), _get(ind, name))
            for name, label in _FIELDS.items()
            if _get(before, name) != _get(ind, name)
        )
        # Only the declared change kind tells wording from substance; a data-level difference
        # with no declaration still counts as a change (e.g. a new applicability rule).
        kind = declared.kind if declared and new.previous == old.id else None
        if kind is None:
            kind = ChangeKind.SUBSTANTIVE if fields else ChangeKind.NONE
        structural = [f for f in fields if f.field not in ("requirement", "expected_level", "title")]
        if kind == ChangeKind.NONE and structural:
            kind = ChangeKind.SUBSTANTIVE
        if kind == ChangeKind.NONE:
            unchanged.append(num)
        else:
            changed.append(
                IndicatorChange(
                    num,
                    ind.title,
                    kind,
                    declared.summary if declared else None,
                    declared.uncertain if declared else None,
                    fields,
                )
            )
    removed = tuple(n for n in old_by_num if n not in new_by_num)
    return VersionDiff(old.id, new.id, tuple(added), removed, tuple(changed), tuple(unchanged))


def diff_for_scope(old: Referential, new: Referential, scope: Scope) -> VersionDiff:
    """What changes for a provider with this scope: only indicators applicable to it."""
    relevant = {a.number for a in evaluate(new, scope) if a.applicable}
    relevant |= {a.number for a in evaluate(old, scope) if a.applicable}
    return diff(old, new).for_numbers(relevant)
