"""Client profile: who the training provider is and what it does.

The profile's scope feeds the applicability engine directly. Fields a consultant fills in on
the first visit (SIRET, NDA, address...) may be left empty in a draft; ``missing_fields`` lists
what remains to fill in. Every value given is validated, with French messages naming the field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from workbench.core.dates import add_months
from workbench.core.errors import ProfileError, UsageError
from workbench.core.text import clean_data
from workbench.core.validation import describe_error
from workbench.core.vocab import Category, Condition, LabelledEnum
from workbench.referential.applicability import INCOMPATIBLE_CONDITIONS, Scope, with_implied

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def validate_client_id(raw: str) -> str:
    """A client id is a slug: lowercase letters, digits and inner hyphens, 1 to 64 characters.

    Anything else (a path, ``..``, spaces, accents, slashes) is refused, because the id is used
    in file names under ``reports/`` and in URLs of the client's dashboard.
    """
    if not isinstance(raw, str) or not SLUG_RE.fullmatch(raw) or "--" in raw:
        shown = raw if isinstance(raw, str) else repr(raw)
        raise UsageError(
            f"identifiant client invalide : « {shown} ». Utilisez uniquement des minuscules "
            "non accentuées, des chiffres et des tirets (ex. : formapro-lyon), 64 caractères au plus, "
            "sans chemin ni « .. »."
        )
    return raw


def luhn_sum(digits: str) -> int:
    """The Luhn sum of a string of digits (every second digit from the right doubled)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total


def siret_is_valid(siret: str) -> bool:
    """Luhn checksum, with the La Poste exception (SIREN 356000000: digit sum divisible by 5)."""
    if not re.fullmatch(r"\d{14}", siret):
        return False
    if siret.startswith("356000000"):
        return sum(int(d) for d in siret) % 5 == 0
    return luhn_sum(siret) % 10 == 0


def complete_siret(prefix13: str) -> str:
    """The 14-digit SIRET that passes the Luhn test, from its first 13 digits."""
    return next(prefix13 + d for d in "0123456789" if luhn_sum(prefix13 + d) % 10 == 0)


MAX_HEADCOUNT = 100_000
"""More trainers, employees or staff on a site than any training provider has: a typing mistake."""


class _M(BaseModel):
    # Surrounding spaces stripped, so a blank name is refused as empty (« texte vide »).
    model_config = ConfigDict(extra="forbid", validate_assignment=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        """Free text never keeps control characters (see :mod:`workbench.core.text`)."""
        return clean_data(data) if isinstance(data, dict) else data


class Address(_M):
    street: str = Field(min_length=1)
    postal_code: str
    city: str = Field(min_length=1)

    @field_validator("postal_code")
    @classmethod
    def _cp(cls, v: str) -> str:
        v = v.strip()
        if not re.fullmatch(r"\d{5}", v):
            raise ValueError(f"code postal invalide « {v} » (5 chiffres attendus)")
        return v

    def one_line(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"


class Site(_M):
    name: str = Field(min_length=1)
    address: Address
    permanent_staff: int = Field(default=0, ge=0, le=MAX_HEADCOUNT)
    central_function: bool = False


class Contact(_M):
    name: str = Field(min_length=1)
    role: str | None = None
    email: str | None = None
    phone: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v):
            raise ValueError(f"adresse électronique invalide « {v} »")
        return v


class NewEntrant(_M):
    all_categories: bool = False
    """First year of activity: new entrant for every category."""
    categories: list[Category] = Field(default_factory=list)
    """Categories being started (new entrant for those only)."""


class Certification(_M):
    certified: bool = False
    certifier: str | None = None
    certificate_date: dt.date | None = None
    certificate_number: str | None = None
    categories: list[Category] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Certification:
        if self.certified and not self.certificate_date:
            raise ValueError("date du certificat obligatoire pour un organisme certifié")
        return self

    def surveillance_window(self) -> tuple[dt.date, dt.date] | None:
        """Months 14 to 22 after the certificate date."""
        if not self.certificate_date:
            return None
        return add_months(self.certificate_date, 14), add_months(self.certificate_date, 22)

    def expiry(self) -> dt.date | None:
        """Last day of validity: the day before the third anniversary. A certificate of 29 February
        has no anniversary in a common year: it runs to the end of February (28th)."""
        if not self.certificate_date:
            return None
        anniversary = add_months(self.certificate_date, 36)
        if anniversary.day != self.certificate_date.day:  # clamped to the month's end
            return anniversary
        return anniversary - dt.timedelta(days=1)


class RevenueBand(LabelledEnum):
    """Training revenue of the last BPF; it sets audit durations."""

    UNDER_150K = "lt_150k", "moins de 150 k€"
    FROM_150K_TO_750K = "150k_750k", "de 150 k€ à 750 k€"
    OVER_750K = "gt_750k", "plus de 750 k€"


class FundingMix(_M):
    """Shares of revenue by funder, in percent."""

    cpf: float = Field(default=0, ge=0, le=100)
    opco: float = Field(default=0, ge=0, le=100)
    france_travail: float = Field(default=0, ge=0, le=100)
    region: float = Field(default=0, ge=0, le=100)
    direct: float = Field(default=0, ge=0, le=100)

    @model_validator(mode="after")
    def _sum(self) -> FundingMix:
        total = self.cpf + self.opco + self.france_travail + self.region + self.direct
        if total and abs(total - 100) > 0.5:
            raise ValueError(f"la répartition des financements doit totaliser 100 % (total : {total:g} %)")
        return self


FIELD_LABELS = {
    "id": "identifiant",
    "name": "raison sociale",
    "siret": "SIRET",
    "nda": "numéro de déclaration d'activité (NDA)",
    "address": "adresse",
    "sites": "sites",
    "contact": "contact",
    "categories": "catégories d'action",
    "conditions": "situations",
    "new_entrant": "statut nouvel entrant",
    "certification": "certification",
    "revenue_band": "tranche de chiffre d'affaires",
    "funding": "répartition des financements",
    "trainers": "nombre de formateurs",
    "employees": "nombre de salariés",
    "consultant": "consultant en charge",
    "prospect": "prospect",
}


class ClientProfile(_M):
    id: str
    name: str = Field(min_length=1)
    siret: str | None = None
    nda: str | None = None
    address: Address | None = None
    sites: list[Site] = Field(default_factory=list)
    contact: Contact | None = None
    categories: list[Category] = Field(min_length=1)
    conditions: list[Condition] = Field(default_factory=list)
    new_entrant: NewEntrant = Field(default_factory=NewEntrant)
    certification: Certification = Field(default_factory=Certification)
    revenue_band: RevenueBand | None = None
    funding: FundingMix | None = None
    trainers: int | None = Field(default=None, ge=0, le=MAX_HEADCOUNT)
    employees: int | None = Field(default=None, ge=0, le=MAX_HEADCOUNT)
    consultant: str | None = None
    template: str | None = None
    """Template the profile was created from, if any."""
    prospect: bool = False
    """Not yet a client: an organisation assessed for the opportunity of certification."""

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        try:
            return validate_client_id(v)
        except UsageError as exc:
            raise ValueError(exc.message.removeprefix("identifiant client invalide : ")) from None

    @field_validator("template")
    @classmethod
    def _template(cls, v: str | None) -> str | None:
        if v is not None and not SLUG_RE.fullmatch(v):
            raise ValueError(f"nom de modèle invalide « {v} » (un nom de « workbench client templates », "
                             "sans chemin)")
        return v

    @field_validator("siret")
    @classmethod
    def _siret(cls, v: str | None) -> str | None:
        if v is None:
            return v
        v = re.sub(r"\s", "", v)
        if not re.fullmatch(r"\d{14}", v):
            raise ValueError(f"SIRET invalide « {v} » : 14 chiffres attendus")
        if not siret_is_valid(v):
            raise ValueError(f"SIRET invalide « {v} » : la clé de contrôle ne correspond pas")
        return v

    @field_validator("nda")
    @classmethod
    def _nda(cls, v: str | None) -> str | None:
        if v is None:
            return v
        v = re.sub(r"\s", "", v)
        if not re.fullmatch(r"\d{11}", v):
            raise ValueError(f"NDA invalide « {v} » : 11 chiffres attendus")
        return v

    @model_validator(mode="after")
    def _coherent(self) -> ClientProfile:
        extra = [c.value for c in self.new_entrant.categories if c not in self.categories]
        if extra:
            raise ValueError(
                f"nouvel entrant pour {', '.join(extra)}, catégorie(s) absente(s) du périmètre"
            )
        certified_extra = [c.value for c in self.certification.categories if c not in self.categories]
        if certified_extra:
            raise ValueError(
                f"catégorie(s) certifiée(s) hors périmètre : {', '.join(certified_extra)}"
            )
        if len(set(self.categories)) != len(self.categories):
            raise ValueError("catégorie d'action en double")
        implied = with_implied(self.conditions)
        for a, b, why in INCOMPATIBLE_CONDITIONS:
            if a in implied and b in implied:
                raise ValueError(f"situations incompatibles : « {a.label} » et « {b.label} » ({why})")
        return self

    # -- derived views ---------------------------------------------------------------------
    @property
    def siren(self) -> str | None:
        return self.siret[:9] if self.siret else None

    def scope(self) -> Scope:
        return Scope(
            categories=frozenset(self.categories),
            conditions=frozenset(self.conditions),
            new_entrant=self.new_entrant.all_categories,
            new_entrant_categories=frozenset(self.new_entrant.categories),
        )

    @property
    def is_new_entrant(self) -> bool:
        """New entrant for every category or for some: its next surveillance reviews everything."""
        return self.new_entrant.all_categories or bool(self.new_entrant.categories)

    @property
    def multi_site(self) -> bool:
        return len(self.sites) > 1

    def missing_fields(self) -> list[str]:
        """French labels of what remains to fill in before a complete pre-audit file."""
        missing = []
        for key in ("siret", "nda", "address", "contact", "revenue_band", "funding",
                    "trainers", "employees", "consultant"):
            if getattr(self, key) in (None, ""):
                missing.append(FIELD_LABELS[key])
        if self.certification.certified is False and not self.new_entrant.all_categories:
            pass  # not certified yet: nothing more to require
        if self.certification.certified and not self.certification.certifier:
            missing.append("organisme certificateur")
        return missing


def profile_from_data(data: dict[str, Any], source: str = "profil") -> ClientProfile:
    """Validate raw data into a profile; errors become a French ProfileError naming the field."""
    try:
        return ClientProfile.model_validate(data)
    except ValidationError as exc:
        raise profile_error(exc, source) from None


def profile_error(exc: ValidationError, source: str) -> ProfileError:
    """A French error naming every wrong field (up to five), the first one kept as ``field``."""
    parts: list[str] = []
    fields: list[str] = []
    for err in exc.errors()[:5]:
        loc = [str(p) for p in err.get("loc", ())]
        field = ".".join(loc)
        label = FIELD_LABELS.get(loc[0], loc[0]) if loc else None
        text = describe_error(err)
        where = f"champ « {field} »" + (f" ({label})" if label and label != field else "") if field else ""
        parts.append(f"{where} : {text}" if where else text)
        fields.append(field)
    more = len(exc.errors()) - len(parts)
    suffix = f" (et {more} autre(s) erreur(s))" if more > 0 else ""
    return ProfileError(f"{source} invalide — " + " ; ".join(parts) + f"{suffix}.", field=fields[0] or None)
