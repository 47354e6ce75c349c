"""Closed vocabularies shared by the whole package.

Identifiers stay in English; every member that users see carries its French label, declared with the
member itself through one mechanism, :class:`LabelledEnum` (``NAME = "value", "Libellé"``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class LabelledEnum(StrEnum):
    """A string enum whose members carry their French label: ``NAME = "value", "Libellé"``.

    The value alone is what is stored and typed (``Verdict("conforme")``); ``.label`` is shown."""

    _label: str

    def __new__(cls, value: str, label: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        return self._label

    @classmethod
    def labels(cls) -> dict[Self, str]:
        """Member -> French label, in declaration order."""
        return {m: m.label for m in cls}


class Category(LabelledEnum):
    """Action categories of article L.6313-1 of the Code du travail."""

    AF = "AF", "Actions de formation"
    BC = "BC", "Bilans de compétences"
    VAE = "VAE", "Validation des acquis de l'expérience"
    CFA = "CFA", "Actions de formation par apprentissage (CFA)"


class Condition(LabelledEnum):
    """Situations of the provider that switch conditional indicators on or off."""

    CERTIFYING = "certifying", "prestations certifiantes (RNCP / RS)"
    ALTERNANCE = "alternance", "formations en alternance"
    WORK_PERIODS = "work_periods", "périodes en situation de travail (stage, AFEST, alternance)"
    SUBCONTRACTING = "subcontracting", "recours à la sous-traitance ou au portage salarial"
    SHORT_COURSES_ONLY = "short_courses_only", "uniquement des formations de 2 jours ou moins"


class NCGrading(LabelledEnum):
    """How a non-conformity on an indicator may be graded."""

    MAJOR_ONLY = "major_only", "NC majeure uniquement"
    MINOR_OR_MAJOR = "minor_or_major", "NC mineure ou majeure"
    UNKNOWN = "unknown", "Gradation non fixée (incertain)"


class IndicatorKind(StrEnum):
    COMMON = "common"
    SPECIFIC = "specific"


class SubcontractorRule(LabelledEnum):
    """Treatment of an indicator when the sampled action was delivered as a subcontractor."""

    FULL = "full", "Évalué normalement"
    NOT_APPLICABLE = "not_applicable", "Non applicable au sous-traitant"
    MISSIONS_ENTRUSTED = "missions_entrusted", "Évalué selon les missions confiées"
    ADAPTED = "adapted", "Exigence adaptée pour le sous-traitant"


class ChangeKind(LabelledEnum):
    """What changed in an indicator between two referential versions."""

    NONE = "none", "Inchangé"
    WORDING = "wording", "Reformulation"
    SUBSTANTIVE = "substantive", "Modification de fond"
    NEW = "new", "Nouvel indicateur"


class ReferentialStatus(LabelledEnum):
    DEFINITIVE = "definitive", "définitif"
    PROVISIONAL = "provisional", "provisoire"


class Verdict(LabelledEnum):
    """Verdicts a consultant gives on an indicator."""

    CONFORME = "conforme", "Conforme"
    NC_MINEURE = "nc_mineure", "NC mineure"
    NC_MAJEURE = "nc_majeure", "NC majeure"
    NON_APPLICABLE = "non_applicable", "Non applicable"
    NON_EVALUE = "non_evalue", "Non évalué"

    @property
    def is_nc(self) -> bool:
        return self in (Verdict.NC_MINEURE, Verdict.NC_MAJEURE)


class QuestionKind(LabelledEnum):
    YES_NO = "yes_no", "oui / non"
    SINGLE_CHOICE = "single_choice", "choix unique"
    MULTIPLE_CHOICE = "multiple_choice", "choix multiples"
    TEXT = "text", "texte libre"
    DATE = "date", "date"
    NUMBER = "number", "nombre"


class Role(LabelledEnum):
    """People interviewed during a pre-audit."""

    DIRECTION = "direction", "Direction"
    REFERENT_PEDAGOGIQUE = "referent_pedagogique", "Référent pédagogique"
    FORMATEUR = "formateur", "Formateur"
    REFERENT_HANDICAP = "referent_handicap", "Référent handicap"
    ADMINISTRATIF = "administratif", "Administratif / commercial"
    APPRENANT = "apprenant", "Apprenant"
    ENTREPRISE = "entreprise", "Entreprise d'accueil"


class MissionType(LabelledEnum):
    PRE_AUDIT = "pre_audit", "Pré-audit"
    AUDIT_BLANC = "audit_blanc", "Audit à blanc"
    PREP_SURVEILLANCE = "prep_surveillance", "Préparation de l'audit de surveillance"
    PREP_RENOUVELLEMENT = "prep_renouvellement", "Préparation de l'audit de renouvellement"
    POINT_SUIVI = "point_suivi", "Point de suivi"
    """A follow-up visit of an outsourced quality manager: no grid, a summary deliverable."""


class AuditType(LabelledEnum):
    INITIAL = "initial", "Audit initial"
    SURVEILLANCE = "surveillance", "Audit de surveillance"
    RENOUVELLEMENT = "renouvellement", "Audit de renouvellement"


class ActionStatus(LabelledEnum):
    A_FAIRE = "a_faire", "À faire"
    EN_COURS = "en_cours", "En cours"
    FAIT = "fait", "Fait"
    ABANDONNE = "abandonne", "Abandonné"


# Label tables, for code that wants a mapping.
CATEGORY_LABELS = Category.labels()
CONDITION_LABELS = Condition.labels()
VERDICT_LABELS = Verdict.labels()
ROLE_LABELS = Role.labels()


def parse_enum(enum_cls: type[StrEnum], raw: str, what: str) -> StrEnum:
    """Parse a user-typed value into an enum, with a French error naming the allowed values."""
    from workbench.core.errors import UsageError

    value = raw.strip()
    for member in enum_cls:
        if value.lower() == member.value.lower() or value.lower() == member.name.lower():
            return member
    allowed = ", ".join(m.value for m in enum_cls)
    raise UsageError(f"{what} inconnu(e) : « {raw} ». Valeurs possibles : {allowed}.")


_ELIDING = set("aeiouyàâäéèêëîïôöùûüœæAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒÆ")


def of_name(name: str) -> str:
    """French « de » before a name, elided before a vowel: « d'Alsace Compétences », « de Forma Sud »."""
    name = name.strip()
    return f"d'{name}" if name[:1] in _ELIDING else f"de {name}"
