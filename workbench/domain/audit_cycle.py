"""The certification cycle: audit durations, multi-site sampling, surveillance and renewal dates.

Pure functions of a client profile and an audit type, after the arrêté of 6 June 2019 as amended
on 31 May 2023 (see ``../shared/docs/referentiel-facts.md`` §6). Where the sources leave a figure
open, the result says so in ``uncertain`` instead of presenting a guess as a rule.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from workbench.core.dates import add_months, fr_date
from workbench.core.vocab import AuditType
from workbench.domain.profile import ClientProfile, RevenueBand

# Initial and renewal audits, one category (days), by training revenue of the last BPF.
BASE_DAYS = {RevenueBand.UNDER_150K: 1.0, RevenueBand.FROM_150K_TO_750K: 1.5, RevenueBand.OVER_750K: 2.0}
# Surveillance: half a day under 150 k€ (sourced); about half the initial duration above (uncertain).
SURVEILLANCE_DAYS = {RevenueBand.UNDER_150K: 0.5, RevenueBand.FROM_150K_TO_750K: 1.0, RevenueBand.OVER_750K: 1.0}
EXTRA_CATEGORY_DAYS = 0.5
SITE_DAYS = 0.5
FORMER_NEW_ENTRANT_DAYS = 0.5


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def sampled_sites(n_sites: int, audit_type: AuditType) -> int:
    """Sites sampled besides the central function: √n at initial and renewal audits, 0.6·√n at
    surveillance (at least one site not audited last time), rounded to the nearest whole number."""
    if n_sites <= 1:
        return 0
    factor = 0.6 if audit_type == AuditType.SURVEILLANCE else 1.0
    return max(1, _round_half_up(factor * math.sqrt(n_sites)))


@dataclass(frozen=True)
class AuditDuration:
    audit_type: AuditType
    days: float | None
    """Estimated duration in days (half-day steps); None when the revenue band is unknown."""
    on_site: str
    sampled_sites: int
    details: tuple[str, ...]
    uncertain: tuple[str, ...]

    def label(self) -> str:
        if self.days is None:
            return "durée non estimée (tranche de chiffre d'affaires à renseigner)"
        n = f"{self.days:g}".replace(".", ",")
        return f"{n} jour{'s' if self.days >= 2 else ''} ({self.on_site})"

    def to_dict(self) -> dict:
        return {"audit_type": self.audit_type.value, "days": self.days, "on_site": self.on_site,
                "sampled_sites": self.sampled_sites, "details": list(self.details),
                "uncertain": list(self.uncertain), "label": self.label()}


def audit_duration(profile: ClientProfile, audit_type: AuditType) -> AuditDuration:
    """Estimated duration of the certifier's audit, from opening to closing meeting."""
    details: list[str] = []
    uncertain: list[str] = []
    band = profile.revenue_band
    n_cats = len(profile.categories)
    sites = sampled_sites(len(profile.sites), audit_type)
    on_site = {
        AuditType.INITIAL: "sur site",
        AuditType.RENOUVELLEMENT: "sur site",
        AuditType.SURVEILLANCE: "à distance par défaut",
    }[audit_type]
    if audit_type == AuditType.SURVEILLANCE:
        uncertain.append("Surveillance sur site en cas de réclamation, d'analyse de risque, d'échantillonnage "
                         "multi-site ou à la demande de l'organisme.")
    if band is None:
        return AuditDuration(audit_type, None, on_site, sites, (), tuple(uncertain))
    if profile.new_entrant.all_categories and audit_type == AuditType.INITIAL:
        details.append("Nouvel entrant : la tranche se lit sur le chiffre d'affaires prévisionnel.")
    if audit_type == AuditType.SURVEILLANCE:
        days = SURVEILLANCE_DAYS[band]
        details.append(f"Base surveillance ({band.label}) : {days:g} j".replace(".", ","))
        if band != RevenueBand.UNDER_150K:
            uncertain.append("Durée de surveillance au-delà de 150 k€ : environ la moitié de l'audit initial "
                             "selon les sources, non confirmée par le texte.")
        if profile.is_new_entrant:
            days += FORMER_NEW_ENTRANT_DAYS
            details.append("Ancien nouvel entrant : tous les indicateurs revus, + 0,5 j")
        if n_cats > 1:
            uncertain.append("Effet des catégories supplémentaires sur la surveillance non établi.")
    else:
        days = BASE_DAYS[band]
        details.append(f"Base ({band.label}, une catégorie) : {days:g} j".replace(".", ","))
        if n_cats > 1:
            extra = EXTRA_CATEGORY_DAYS * (n_cats - 1)
            days += extra
            details.append(f"{n_cats - 1} catégorie(s) supplémentaire(s) : + {extra:g} j".replace(".", ","))
            uncertain.append("Supplément par catégorie (+ 0,5 j) : lecture de la structure « base + catégorie » "
                             "de l'arrêté, tableau exact non retrouvé.")
    if sites:
        days += SITE_DAYS * sites
        details.append(f"{sites} site(s) échantillonné(s) sur {len(profile.sites)} : + {SITE_DAYS * sites:g} j"
                       .replace(".", ","))
        uncertain.append("La fonction centrale, auditée à chaque fois, est comptée à part des sites échantillonnés.")
    days = math.ceil(days * 2) / 2  # audits count in half-days
    return AuditDuration(audit_type, days, on_site, sites, tuple(details), tuple(uncertain))


@dataclass(frozen=True)
class CycleDates:
    certificate_date: dt.date
    surveillance_from: dt.date
    surveillance_until: dt.date
    expiry: dt.date
    renewal_from: dt.date
    """Advised start of the renewal audit window (5 months before expiry: practice, not a rule)."""
    renewal_until: dt.date
    """Advised latest renewal audit (3 months before expiry, to leave time to lift a major NC)."""

    def describe(self) -> list[str]:
        return [
            f"Certificat du {fr_date(self.certificate_date)}, valable jusqu'au {fr_date(self.expiry)}.",
            f"Audit de surveillance entre le {fr_date(self.surveillance_from)} et le "
            f"{fr_date(self.surveillance_until)} (14e au 22e mois).",
            f"Audit de renouvellement conseillé entre le {fr_date(self.renewal_from)} et le "
            f"{fr_date(self.renewal_until)}, pour pouvoir lever une NC majeure avant l'échéance.",
        ]


def cycle_dates(profile: ClientProfile) -> CycleDates | None:
    cert = profile.certification
    if not (cert.certified and cert.certificate_date):
        return None
    window = cert.surveillance_window()
    expiry = cert.expiry()
    assert window is not None and expiry is not None
    return CycleDates(cert.certificate_date, window[0], window[1], expiry,
                      add_months(expiry, -5), add_months(expiry, -3))
