"""The checklist of a session file: items as data, by phase, mapped to indicators, applicable by
session attributes (``workbench/data/session_checklist/*.yaml``).

Pure apart from :func:`load_checklist`, which reads and validates the shipped file.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workbench.core.errors import ReferentialError
from workbench.core.validation import load_yaml_model
from workbench.core.vocab import Category, LabelledEnum
from workbench.data import DATA_DIR, SESSION_CHECKLIST, DataFolders
from workbench.domain.sessions import Funding, Session

CHECKLIST_DIR = DATA_DIR / SESSION_CHECKLIST
DEFAULT_CHECKLIST = "dossier-session"


class ReviewStatus(LabelledEnum):
    """What the reviewer found for one item of one file."""

    PRESENT = "present", "Présent"
    MISSING = "missing", "Manquant"
    NOT_APPLICABLE = "not_applicable", "Sans objet"
    UNCHECKED = "unchecked", "Non vérifié"


def parse_status(raw: str) -> ReviewStatus:
    """A status typed by a person (French label or English value, any case or accent)."""
    from workbench.core.errors import UsageError
    from workbench.domain.sessions import norm

    key = norm(raw)
    aliases = {norm(s.value): s for s in ReviewStatus} | {norm(s.label): s for s in ReviewStatus} | {
        "oui": ReviewStatus.PRESENT, "non": ReviewStatus.MISSING, "na": ReviewStatus.NOT_APPLICABLE,
        "n a": ReviewStatus.NOT_APPLICABLE, "non applicable": ReviewStatus.NOT_APPLICABLE,
        "absent": ReviewStatus.MISSING, "": ReviewStatus.UNCHECKED, "a verifier": ReviewStatus.UNCHECKED,
    }
    if key in aliases:
        return aliases[key]
    allowed = ", ".join(s.label for s in ReviewStatus)
    raise UsageError(f"Statut inconnu : « {raw} » (possibles : {allowed}).")


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppliesTo(_M):
    categories: tuple[Category, ...] = ()
    certifying: bool | None = None
    subcontracted: bool | None = None
    distance: bool | None = None
    on_site: bool | None = None
    funding: tuple[Funding, ...] = ()

    def why_not(self, session: Session) -> str | None:
        """None when the item applies to the session, else the French reason it does not."""
        if self.categories and session.category not in self.categories:
            cats = ", ".join(c.value for c in self.categories)
            return f"réservé aux sessions {cats} (session {session.category.value})"
        for attr, yes, no in (("certifying", "certifiantes", "non certifiantes"),
                              ("subcontracted", "sous-traitées", "non sous-traitées"),
                              ("distance", "à distance ou mixtes", "entièrement en présentiel"),
                              ("on_site", "en présentiel ou mixtes", "entièrement à distance")):
            wanted = getattr(self, attr)
            if wanted is not None and getattr(session, attr) != wanted:
                return f"réservé aux sessions {yes if wanted else no}"
        if self.funding and not set(self.funding) & set(session.funding):
            return f"réservé aux sessions financées par {', '.join(f.label for f in self.funding)}"
        return None


class Item(_M):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    phase: str
    label: str = Field(min_length=1)
    help: str = ""
    indicators: tuple[int, ...]
    applies_to: AppliesTo = Field(default_factory=AppliesTo)
    uncertain: str | None = None
    note: str | None = None

    def applies(self, session: Session) -> bool:
        return self.applies_to.why_not(session) is None


class Checklist(_M):
    id: str
    version: int
    title: str
    phases: dict[str, str]
    items: tuple[Item, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _coherent(self) -> Checklist:
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise ValueError(f"point en double : « {item.id} »")
            seen.add(item.id)
            if item.phase not in self.phases:
                raise ValueError(f"point « {item.id} » : phase inconnue « {item.phase} » "
                                 f"(phases : {', '.join(self.phases)})")
            bad = [n for n in item.indicators if not 1 <= n <= 33]
            if bad:
                raise ValueError(f"point « {item.id} » : numéro d'indicateur invalide {bad[0]}")
        return self

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        from workbench.core.errors import UsageError

        raise UsageError(f"Point de contrôle inconnu : « {item_id} » (points : {', '.join(i.id for i in self.items)}).")

    def for_session(self, session: Session) -> list[Item]:
        """The items that apply to a session, by phase then file order."""
        order = list(self.phases)
        items = [i for i in self.items if i.applies(session)]
        return sorted(items, key=lambda i: order.index(i.phase))

    def phase_label(self, phase: str) -> str:
        return self.phases[phase]


@lru_cache(maxsize=4)
def _load(path: Path, _mtime: float) -> Checklist:
    return load_yaml_model(Checklist, path, "liste de contrôle des dossiers")


def load_checklist(name: str = DEFAULT_CHECKLIST, directory: Path | None = None,
                   folders: DataFolders | None = None) -> Checklist:
    """The checklist ``name`` from ``directory``, else the workspace's (``folders``), else the package's."""
    found = None if directory else (folders or DataFolders()).find(SESSION_CHECKLIST, name)
    path = found or (directory or CHECKLIST_DIR) / f"{name}.yaml"
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise ReferentialError(f"Liste de contrôle introuvable : {path}", path=str(path)) from None
    return _load(path, mtime)
