"""Closed vocabularies shared by the whole package.

Every enum carries the French label shown to users; identifiers stay in English.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """Action categories of article L.6313-1 of the Code du travail."""

    AF = "AF"
    BC = "BC"
    VAE = "VAE"
    CFA = "CFA"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    Category.AF: "Actions de formation",
    Category.BC: "Bilans de compétences",
    Category.VAE: "Validation des acquis de l'expérience",
    Category.CFA: "Actions de formation par apprentissage (CFA)",
}


class Condition(StrEnum):
    """Situations of the provider that switch conditional indicators on or off."""

    CERTIFYING = "certifying"
    ALTERNANCE = "alternance"
    WORK_PERIODS = "work_periods"
    SUBCONTRACTING = "subcontracting"
    SHORT_COURSES_ONLY = "short_courses_only"

    @property
    def label(self) -> str:
        return CONDITION_LABELS[self]


CONDITION_LABELS = {
    Condition.CERTIFYING: "prestations certifiantes (RNCP / RS)",
    Condition.ALTERNANCE: "formations en alternance",
    Condition.WORK_PERIODS: "périodes en situation de travail (stage, AFEST, alternance)",
    Condition.SUBCONTRACTING: "recours à la sous-traitance ou au portage salarial",
    Condition.SHORT_COURSES_ONLY: "uniquement des formations de 2 jours ou moins",
}


class NCGrading(StrEnum):
    """How a non-conformity on an indicator may be graded."""

    MAJOR_ONLY = "major_only"
    MINOR_OR_MAJOR = "minor_or_major"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {
            NCGrading.MAJOR_ONLY: "NC majeure uniquement",
            NCGrading.MINOR_OR_MAJOR: "NC mineure ou majeure",
            NCGrading.UNKNOWN: "Gradation non fixée (incertain)",
        }[self]


class IndicatorKind(StrEnum):
    COMMON = "common"
    SPECIFIC = "specific"


class SubcontractorRule(StrEnum):
    """Treatment of an indicator when the sampled action was delivered as a subcontractor."""

    FULL = "full"
    NOT_APPLICABLE = "not_applicable"
    MISSIONS_ENTRUSTED = "missions_entrusted"
    ADAPTED = "adapted"

    @property
    def label(self) -> str:
        return {
            SubcontractorRule.FULL: "Évalué normalement",
            SubcontractorRule.NOT_APPLICABLE: "Non applicable au sous-traitant",
            SubcontractorRule.MISSIONS_ENTRUSTED: "Évalué selon les missions confiées",
            SubcontractorRule.ADAPTED: "Exigence adaptée pour le sous-traitant",
        }[self]


class ChangeKind(StrEnum):
    """What changed in an indicator between two referential versions."""

    NONE = "none"
    WORDING = "wording"
    SUBSTANTIVE = "substantive"
    NEW = "new"

    @property
    def label(self) -> str:
        return {
            ChangeKind.NONE: "Inchangé",
            ChangeKind.WORDING: "Reformulation",
            ChangeKind.SUBSTANTIVE: "Modification de fond",
            ChangeKind.NEW: "Nouvel indicateur",
        }[self]


class ReferentialStatus(StrEnum):
    DEFINITIVE = "definitive"
    PROVISIONAL = "provisional"

    @property
    def label(self) -> str:
        return {
            ReferentialStatus.DEFINITIVE: "définitif",
            ReferentialStatus.PROVISIONAL: "provisoire",
        }[self]


class Verdict(StrEnum):
    """Verdicts a consultant gives on an indicator."""

    CONFORME = "conforme"
    NC_MINEURE = "nc_mineure"
    NC_MAJEURE = "nc_majeure"
    NON_APPLICABLE = "non_applicable"
    NON_EVALUE = "non_evalue"

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self]

    @property
    def is_nc(self) -> bool:
        return self in (Verdict.NC_MINEURE, Verdict.NC_MAJEURE)


VERDICT_LABELS = {
    Verdict.CONFORME: "Conforme",
    Verdict.NC_MINEURE: "NC mineure",
    Verdict.NC_MAJEURE: "NC majeure",
    Verdict.NON_APPLICABLE: "Non applicable",
    Verdict.NON_EVALUE: "Non évalué",
}


class QuestionKind(StrEnum):
    YES_NO = "yes_no"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    TEXT = "text"
    DATE = "date"
    NUMBER = "number"


class Role(StrEnum):
    """People interviewed during a pre-audit."""

    DIRECTION = "direction"
    REFERENT_PEDAGOGIQUE = "referent_pedagogique"
    FORMATEUR = "formateur"
    REFERENT_HANDICAP = "referent_handicap"
    ADMINISTRATIF = "administratif"
    APPRENANT = "apprenant"
    ENTREPRISE = "entreprise"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.DIRECTION: "Direction",
    Role.REFERENT_PEDAGOGIQUE: "Référent pédagogique",
    Role.FORMATEUR: "Formateur",
    Role.REFERENT_HANDICAP: "Référent handicap",
    Role.ADMINISTRATIF: "Administratif / commercial",
    Role.APPRENANT: "Apprenant",
    Role.ENTREPRISE: "Entreprise d'accueil",
}


class MissionType(StrEnum):
    PRE_AUDIT = "pre_audit"
    AUDIT_BLANC = "audit_blanc"
    PREP_SURVEILLANCE = "prep_surveillance"
    PREP_RENOUVELLEMENT = "prep_renouvellement"
    POINT_SUIVI = "point_suivi"
    """A follow-up visit of an outsourced quality manager: no grid, a summary deliverable."""

    @property
    def label(self) -> str:
        return {
            MissionType.PRE_AUDIT: "Pré-audit",
            MissionType.AUDIT_BLANC: "Audit à blanc",
            MissionType.PREP_SURVEILLANCE: "Préparation de l'audit de surveillance",
            MissionType.PREP_RENOUVELLEMENT: "Préparation de l'audit de renouvellement",
            MissionType.POINT_SUIVI: "Point de suivi",
        }[self]


class AuditType(StrEnum):
    INITIAL = "initial"
    SURVEILLANCE = "surveillance"
    RENOUVELLEMENT = "renouvellement"

    @property
    def label(self) -> str:
        return {
            AuditType.INITIAL: "Audit initial",
            AuditType.SURVEILLANCE: "Audit de surveillance",
            AuditType.RENOUVELLEMENT: "Audit de renouvellement",
        }[self]


class ActionStatus(StrEnum):
    A_FAIRE = "a_faire"
    EN_COURS = "en_cours"
    FAIT = "fait"
    ABANDONNE = "abandonne"

    @property
    def label(self) -> str:
        return {
            ActionStatus.A_FAIRE: "À faire",
            ActionStatus.EN_COURS: "En cours",
            ActionStatus.FAIT: "Fait",
            ActionStatus.ABANDONNE: "Abandonné",
        }[self]


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
