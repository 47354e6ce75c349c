"""The records of a client's work: missions, answers, evidence, actions and their history.

Plain validated models, independent of how they are stored (see :mod:`workbench.store`).
"""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workbench.core.text import clean_data
from workbench.core.vocab import ActionStatus, AuditType, MissionType, Verdict


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "consultant"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        """Free text never keeps control characters (see :mod:`workbench.core.text`)."""
        return clean_data(data) if isinstance(data, dict) else data


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("texte vide (uniquement des espaces)")
    return value.strip()


def mission_type_conflict(mission_type: MissionType, audit_type: AuditType) -> str | None:
    """Why a mission type contradicts the audit it prepares, or None when they agree."""
    required = {MissionType.PREP_SURVEILLANCE: AuditType.SURVEILLANCE,
                MissionType.PREP_RENOUVELLEMENT: AuditType.RENOUVELLEMENT}.get(mission_type)
    if required is not None and audit_type != required:
        return (f"une mission « {mission_type.label} » prépare un « {required.label} », "
                f"pas un « {audit_type.label} »")
    return None


class Mission(_M):
    id: str
    client_id: str
    type: MissionType
    audit_type: AuditType
    audit_date: dt.date
    referential_id: str
    referential_auto: bool = True
    """True when the version was chosen from the audit date, False when overridden."""
    label: str | None = None
    created_at: dt.datetime
    created_by: str


class Answer(_M):
    mission_id: str
    indicator_id: str
    verdict: Verdict = Verdict.NON_EVALUE
    finding: str = ""
    """The finding written for the client (« constat »): shown in every client output."""
    private_notes: str = ""
    """The consultant's own notes: never shown in any client output."""
    na_justification: str = ""
    responses: dict[str, Any] = Field(default_factory=dict)
    """Answers to the grid's questions, by question id."""
    checklist: dict[str, bool] = Field(default_factory=dict)
    """Proofs checked on site, by proof label."""
    respondent: str | None = None
    """Who answered on the client's side (role or name)."""
    updated_at: dt.datetime | None = None
    updated_by: str | None = None

    ANSWER_FIELDS: ClassVar[tuple[str, ...]] = ("verdict", "finding", "private_notes", "na_justification", "responses",
                                               "checklist", "respondent")


class Evidence(_M):
    id: int | None = None
    mission_id: str
    indicator_id: str
    label: str = Field(min_length=1)
    location: str = ""

    _label = field_validator("label")(_not_blank)
    represents_date: dt.date | None = None
    """The date the evidence represents (e.g. the survey it summarises), not when it was seen."""
    owner: str = ""
    created_at: dt.datetime | None = None
    created_by: str | None = None


class Action(_M):
    id: int | None = None
    mission_id: str
    indicator_id: str
    title: str = Field(min_length=1)
    detail: str = ""

    _title = field_validator("title")(_not_blank)
    priority: int = Field(default=2, ge=1, le=4)
    owner: str = ""
    status: ActionStatus = ActionStatus.A_FAIRE
    due_date: dt.date | None = None
    comment: str = ""
    updated_at: dt.datetime | None = None
    updated_by: str | None = None

    EDITABLE: ClassVar[tuple[str, ...]] = ("title", "detail", "priority", "owner", "status", "due_date", "comment")


class HistoryEntry(_M):
    id: int
    mission_id: str
    entity: str
    entity_key: str
    indicator_id: str | None
    field: str
    before: Any
    after: Any
    actor: str
    at: dt.datetime
    imported_from: dict[str, Any] | None = None
    """For an entry that came from a bundle: the bundle (file, SHA-256, author, signature)."""
    imported_at: dt.datetime | None = None
