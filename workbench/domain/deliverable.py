"""What the consultant writes for a mission's report, besides the per-indicator findings.

An executive summary, a conclusion, the record of the visit (dates, people met and their roles,
documents reviewed) and the signature block. Plain validated models; stored by
:mod:`workbench.store.report_texts`, printed by every report format.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonMet(_M):
    name: str = Field(min_length=1)
    role: str = ""

    def label(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name


class Visit(_M):
    dates: list[dt.date] = Field(default_factory=list)
    people: list[PersonMet] = Field(default_factory=list)
    documents: list[str] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.dates or self.people or self.documents)


class Signature(_M):
    name: str = ""
    role: str = ""
    place: str = ""

    @property
    def empty(self) -> bool:
        return not self.name


class ReportTexts(_M):
    summary: str = ""
    """Executive summary, at the head of the report."""
    conclusion: str = ""
    visit: Visit = Field(default_factory=Visit)
    signature: Signature = Field(default_factory=Signature)


TEXT_KEYS = ("summary", "conclusion", "visit", "signature")
TEXT_LABELS = {"summary": "synthèse", "conclusion": "conclusion", "visit": "visite", "signature": "signature"}


def parse_person(raw: str) -> PersonMet:
    """« Nom : rôle » (or « Nom — rôle ») → a person met; the role is optional."""
    for sep in (":", "—", " - "):
        if sep in raw:
            name, role = raw.split(sep, 1)
            return PersonMet(name=name.strip(), role=role.strip())
    return PersonMet(name=raw.strip())


class SentVersion(_M):
    """A report marked as sent to the client: its number, date and files are kept for good."""

    mission_id: str
    version: int = Field(ge=1)
    sent_at: dt.datetime
    sent_by: str
    input_hash: str
    files: dict[str, str] = Field(default_factory=dict)
    """Format → file path, relative to the workspace."""
