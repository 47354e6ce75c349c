"""Client profile: identifiers, French validation messages naming the field, scope."""

from __future__ import annotations

import datetime as dt

import pytest

from workbench.core.errors import ProfileError, UsageError
from workbench.core.vocab import Category, Condition
from workbench.domain.profile import (
    ClientProfile,
    RevenueBand,
    profile_from_data,
    siret_is_valid,
    validate_client_id,
)
from workbench.referential.applicability import Scope


def base(**extra) -> dict:
    return {"id": "formapro-lyon", "name": "FormaPro Lyon", "categories": ["AF"]} | extra


def _luhn(number: str) -> bool:
    """Independent Luhn implementation, to cross-check the one in workbench.domain.profile."""
    digits = [int(c) for c in number]
    odd = digits[-1::-2]
    even = [sum(divmod(2 * d, 10)) for d in digits[-2::-2]]
    return (sum(odd) + sum(even)) % 10 == 0


# -- SIRET --------------------------------------------------------------------------------------

VALID_SIRETS = [
    "73282932000074",  # Luhn-valid
    "44306184100047",
    "55208131766522",
    "35600000010000",  # La Poste (SIREN 356000000): digit sum 15 is a multiple of 5; Luhn fails
]
INVALID_SIRETS = [
    "73282932000075",  # last digit changed
    "73282932000047",  # two digits swapped
    "35600000010001",  # La Poste, digit sum 16
    "7328293200007",  # 13 digits
    "732829320000744",  # 15 digits
    "7328293200007A",
    "",
]


@pytest.mark.parametrize("siret", VALID_SIRETS)
def test_valid_siret_accepted(siret):
    assert siret_is_valid(siret)
    assert profile_from_data(base(siret=siret)).siret == siret


def test_la_poste_exception_is_really_an_exception():
    # Without the La Poste rule this SIRET would be refused: it fails the plain Luhn checksum.
    assert not _luhn("35600000010000")
    assert _luhn("73282932000074")


@pytest.mark.parametrize("siret", INVALID_SIRETS)
def test_invalid_siret_refused(siret):
    assert not siret_is_valid(siret)
    with pytest.raises(ProfileError) as err:
        profile_from_data(base(siret=siret))
    assert err.value.field == "siret"
    assert "SIRET invalide" in err.value.message
    assert "champ « siret »" in err.value.message


def test_siret_checksum_message_and_spaces():
    with pytest.raises(ProfileError, match="clé de contrôle ne correspond pas"):
        profile_from_data(base(siret="73282932000075"))
    with pytest.raises(ProfileError, match="14 chiffres attendus"):
        profile_from_data(base(siret="1234"))
    profile = profile_from_data(base(siret="732 829 320 00074"))
    assert profile.siret == "73282932000074"
    assert profile.siren == "732829320"


def test_siret_checked_on_assignment_too():
    profile = profile_from_data(base())
    with pytest.raises(ValueError, match="clé de contrôle"):
        profile.siret = "73282932000075"
    assert profile.siret is None


# -- NDA, address, contact ----------------------------------------------------------------------

def test_nda():
    assert profile_from_data(base(nda="11 75 12345 67")).nda == "11751234567"
    for bad in ("1175123456", "117512345678", "1175123456X"):
        with pytest.raises(ProfileError) as err:
            profile_from_data(base(nda=bad))
        assert err.value.field == "nda"
        assert "NDA invalide" in err.value.message and "11 chiffres" in err.value.message


@pytest.mark.parametrize("cp", ["6900", "690001", "69 00", "ABCDE"])
def test_postal_code_refused(cp):
    with pytest.raises(ProfileError) as err:
        profile_from_data(base(address={"street": "1 rue de la Paix", "postal_code": cp, "city": "Lyon"}))
    assert err.value.field == "address.postal_code"
    assert "code postal invalide" in err.value.message
    assert "(adresse)" in err.value.message


def test_postal_code_accepted_and_one_line():
    p = profile_from_data(base(address={"street": "1 rue de la Paix", "postal_code": " 69002 ", "city": "Lyon"}))
    assert p.address.postal_code == "69002"
    assert p.address.one_line() == "1 rue de la Paix, 69002 Lyon"


def test_contact_email():
    with pytest.raises(ProfileError) as err:
        profile_from_data(base(contact={"name": "Mme Martin", "email": "martin-at-example.fr"}))
    assert err.value.field == "contact.email"
    assert "adresse électronique invalide" in err.value.message


# -- funding, certification, coherence -----------------------------------------------------------

def test_funding_must_total_100():
    ok = profile_from_data(base(funding={"cpf": 30, "opco": 40, "france_travail": 10, "region": 5, "direct": 15}))
    assert ok.funding.cpf == 30
    # rounding tolerance of half a point
    profile_from_data(base(funding={"cpf": 33.3, "opco": 33.3, "direct": 33.3}))
    with pytest.raises(ProfileError) as err:
        profile_from_data(base(funding={"cpf": 30, "opco": 40, "direct": 20}))
    assert err.value.field == "funding"
    assert "totaliser 100 %" in err.value.message and "total : 90 %" in err.value.message
    assert "répartition des financements" in err.value.message
    with pytest.raises(ProfileError) as err:
        profile_from_data(base(funding={"cpf": 120}))
    assert err.value.field == "funding.cpf"
    assert "valeur trop grande" in err.value.message


def test_certified_needs_a_date_and_windows():
    with pytest.raises(ProfileError) as err:
        profile_from_data(base(certification={"certified": True, "certifier": "AFNOR"}))
    assert err.value.field == "certification"
    assert "date du certificat obligatoire" in err.value.message
    p = profile_from_data(base(certification={
        "certified": True, "certifier": "AFNOR", "certificate_date": "2024-01-31", "categories": ["AF"]}))
    # Surveillance between months 14 and 22; certificate valid three years.
    assert p.certification.surveillance_window() == (dt.date(2025, 3, 31), dt.date(2025, 11, 30))
    assert p.certification.expiry() == dt.date(2027, 1, 30)


@pytest.mark.parametrize(
    ("extra", "field", "text"),
    [
        ({"categories": []}, "categories", "liste vide"),
        ({"categories": ["AF", "XX"]}, "categories.1", "valeur non permise"),
        ({"categories": ["AF", "AF"]}, None, "catégorie d'action en double"),
        ({"new_entrant": {"categories": ["CFA"]}}, None, "nouvel entrant pour CFA"),
        ({"certification": {"categories": ["BC"]}}, None, "catégorie(s) certifiée(s) hors périmètre : BC"),
        ({"conditions": ["certifiant"]}, "conditions.0", "valeur non permise"),
        ({"trainers": -1}, "trainers", "valeur trop petite"),
        ({"name": ""}, "name", "texte vide"),
        ({"raison_sociale": "X"}, "raison_sociale", "champ inconnu"),
        ({"id": "../x"}, "id", "sans chemin"),
    ],
)
def test_french_messages_name_the_field(extra, field, text):
    with pytest.raises(ProfileError) as err:
        profile_from_data(base(**extra), "Fiche client")
    msg = err.value.message
    assert msg.startswith("Fiche client invalide")
    assert text in msg
    if field:
        assert err.value.field == field
        assert f"champ « {field} »" in msg
    assert err.value.exit_code == 4


def test_missing_required_fields_named():
    with pytest.raises(ProfileError) as err:
        profile_from_data({"id": "acme"})
    assert "champ obligatoire manquant" in err.value.message
    assert err.value.field in {"name", "categories"}
    # Every wrong field is named in the one message.
    assert "« name »" in err.value.message and "« categories »" in err.value.message


# -- client ids ----------------------------------------------------------------------------------

@pytest.mark.parametrize("good", ["a", "acme", "formapro-lyon", "of-2026", "x" * 64])
def test_client_id_valid(good):
    assert validate_client_id(good) == good


@pytest.mark.parametrize(
    "bad", ["", "..", "../x", "a/b", "a\\b", "UPPER", "Acme", "a b", "é-cole", "-a", "a-", "a--b", "a.b",
            "x" * 65, "/abs", "~home", "a\nb", "acme\n", "\nacme"],
)
def test_client_id_refused(bad):
    with pytest.raises(UsageError) as err:
        validate_client_id(bad)
    assert "identifiant client invalide" in err.value.message
    assert err.value.exit_code == 2


# -- scope and derived views ---------------------------------------------------------------------

def test_scope_feeds_the_engine():
    p = profile_from_data(base(
        categories=["CFA", "AF"], conditions=["certifying", "alternance"],
        new_entrant={"categories": ["CFA"]},
    ))
    scope = p.scope()
    assert isinstance(scope, Scope)
    assert scope.categories == frozenset({Category.AF, Category.CFA})
    # Alternance implies periods in a company (issue 10): the scope adds the implied condition.
    assert scope.conditions == frozenset({Condition.CERTIFYING, Condition.ALTERNANCE, Condition.WORK_PERIODS})
    assert scope.new_entrant is False
    assert scope.new_entrant_categories == frozenset({Category.CFA})
    assert scope.is_new_entrant_for([Category.CFA]) and not scope.is_new_entrant_for([Category.AF])
    assert profile_from_data(base(new_entrant={"all_categories": True})).scope().new_entrant is True


def test_scope_drives_applicability(ref2019):
    from workbench.referential.applicability import evaluate

    plain = profile_from_data(base())
    certifying = profile_from_data(base(conditions=["certifying"]))
    n_plain = sum(a.applicable for a in evaluate(ref2019, plain.scope()))
    n_cert = sum(a.applicable for a in evaluate(ref2019, certifying.scope()))
    assert n_plain == 22  # the "solo" list of the facts (§3.1)
    assert n_cert == 25  # + 3, 7, 16 for certifying courses


def test_missing_fields_and_multi_site():
    p = profile_from_data(base())
    missing = p.missing_fields()
    assert "SIRET" in missing and "numéro de déclaration d'activité (NDA)" in missing
    assert "consultant en charge" in missing
    full = profile_from_data(base(
        siret="73282932000074", nda="11751234567",
        address={"street": "1 rue A", "postal_code": "75001", "city": "Paris"},
        contact={"name": "M. Durand"}, revenue_band="lt_150k", funding={"direct": 100},
        trainers=1, employees=0, consultant="Alice",
        certification={"certified": True, "certificate_date": "2025-02-01"},
    ))
    assert full.revenue_band is RevenueBand.UNDER_150K
    assert full.missing_fields() == ["organisme certificateur"]
    assert not full.multi_site
    site = {"name": "Lyon", "address": {"street": "1 rue A", "postal_code": "69001", "city": "Lyon"}}
    two = profile_from_data(base(sites=[site, site | {"name": "Paris"}]))
    assert two.multi_site


def test_profile_json_round_trip():
    p = profile_from_data(base(siret="73282932000074", conditions=["certifying"], funding={"opco": 100}))
    again = ClientProfile.model_validate_json(p.model_dump_json())
    assert again == p
