"""Audit durations, multi-site sampling and cycle dates (referentiel-facts.md §6)."""

from __future__ import annotations

import datetime as dt

import pytest

from workbench.core.vocab import AuditType as A
from workbench.domain.audit_cycle import audit_duration, cycle_dates, sampled_sites
from workbench.domain.profile import Address, Certification, ClientProfile, NewEntrant, RevenueBand, Site


def _profile(band, categories=("AF",), n_sites=0, new_entrant=False, certified_on=None):
    addr = Address(street="1 rue X", postal_code="75001", city="Paris")
    return ClientProfile(
        id="x", name="X", categories=list(categories), revenue_band=band,
        sites=[Site(name=f"S{i}", address=addr) for i in range(n_sites)],
        new_entrant=NewEntrant(all_categories=new_entrant),
        certification=Certification(certified=certified_on is not None, certificate_date=certified_on),
    )


@pytest.mark.parametrize(
    "n, audit_type, expected",
    [(0, A.INITIAL, 0), (1, A.INITIAL, 0), (4, A.INITIAL, 2), (9, A.RENOUVELLEMENT, 3),
     (10, A.INITIAL, 3), (4, A.SURVEILLANCE, 1), (9, A.SURVEILLANCE, 2), (2, A.SURVEILLANCE, 1)],
)
def test_sampled_sites(n, audit_type, expected):
    assert sampled_sites(n, audit_type) == expected


@pytest.mark.parametrize(
    "band, categories, n_sites, new_entrant, audit_type, days",
    [
        # One category: 1 / 1.5 / 2 days by revenue band (arrêté art. 4).
        (RevenueBand.UNDER_150K, ("AF",), 0, False, A.INITIAL, 1.0),
        (RevenueBand.FROM_150K_TO_750K, ("AF",), 0, False, A.INITIAL, 1.5),
        (RevenueBand.OVER_750K, ("AF",), 0, False, A.RENOUVELLEMENT, 2.0),
        # Extra categories (+0.5 each, flagged uncertain) and sampled sites (+0.5 each).
        (RevenueBand.UNDER_150K, ("AF", "BC"), 0, False, A.INITIAL, 1.5),
        (RevenueBand.FROM_150K_TO_750K, ("AF",), 4, False, A.INITIAL, 2.5),
        # Surveillance: half a day under 150 k€, + half a day for a former new entrant.
        (RevenueBand.UNDER_150K, ("AF",), 0, False, A.SURVEILLANCE, 0.5),
        (RevenueBand.UNDER_150K, ("AF",), 0, True, A.SURVEILLANCE, 1.0),
        (RevenueBand.UNDER_150K, ("AF",), 9, False, A.SURVEILLANCE, 1.5),
    ],
)
def test_durations(band, categories, n_sites, new_entrant, audit_type, days):
    d = audit_duration(_profile(band, categories, n_sites, new_entrant), audit_type)
    assert d.days == days
    assert d.days * 2 == int(d.days * 2)  # half-day steps


def test_uncertain_points_are_said_not_hidden():
    d = audit_duration(_profile(RevenueBand.OVER_750K, ("AF", "CFA")), A.INITIAL)
    assert any("Supplément par catégorie" in u for u in d.uncertain)
    s = audit_duration(_profile(RevenueBand.OVER_750K), A.SURVEILLANCE)
    assert any("moitié de l'audit initial" in u for u in s.uncertain)
    assert s.on_site == "à distance par défaut"


def test_unknown_band_gives_no_figure():
    d = audit_duration(_profile(None), A.INITIAL)
    assert d.days is None and "tranche de chiffre d'affaires" in d.label()


def test_cycle_dates():
    c = cycle_dates(_profile(RevenueBand.UNDER_150K, certified_on=dt.date(2025, 3, 10)))
    assert (c.surveillance_from, c.surveillance_until) == (dt.date(2026, 5, 10), dt.date(2027, 1, 10))
    assert c.expiry == dt.date(2028, 3, 9)
    assert (c.renewal_from, c.renewal_until) == (dt.date(2027, 10, 9), dt.date(2027, 12, 9))
    assert "14e au 22e mois" in c.describe()[1]
    assert cycle_dates(_profile(RevenueBand.UNDER_150K)) is None
