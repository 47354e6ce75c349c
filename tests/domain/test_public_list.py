"""Prefill from the public list of training providers: the shipped extract, through the CLI."""

from __future__ import annotations

import pytest

from tests.support import run_cli
from workbench.core.errors import NotFoundError, UsageError
from workbench.core.vocab import Category
from workbench.domain.public_list import REQUIRED, SAMPLE_FILE, find_provider, read_public_list

SAMPLE = str(SAMPLE_FILE)


def test_shipped_extract_has_the_real_column_layout():
    header = SAMPLE_FILE.read_text(encoding="utf-8").splitlines()[0].split(";")
    assert header[:5] == ["numeroDeclarationActivite", "numerosDeclarationActivitePrecedent", "denomination",
                          "siren", "siretEtablissementDeclarant"]
    assert all(col in header for col in REQUIRED)
    rows = read_public_list(SAMPLE_FILE)
    assert len(rows) >= 4 and all(len(r["siretEtablissementDeclarant"]) == 14 for r in rows)


def test_find_by_siret_and_by_nda():
    e = find_provider(SAMPLE_FILE, siret="82345678500026")
    assert e.name == "FORMASUD DIGITAL" and e.certified_categories == (Category.AF,)
    assert e.profile_data()["address"] == {"street": "5 Avenue du Prado", "postal_code": "13006", "city": "Marseille"}
    b = find_provider(SAMPLE_FILE, nda="44440987654")
    assert b.certified_categories == (Category.BC, Category.VAE) and b.trainers == 3


def test_missing_siret_is_a_clear_french_error():
    with pytest.raises(NotFoundError, match="SIRET 73282932000074 absent de la liste publique"):
        find_provider(SAMPLE_FILE, siret="73282932000074")
    with pytest.raises(UsageError, match="--siret ou --nda"):
        find_provider(SAMPLE_FILE)


@pytest.mark.parametrize("content, message", [
    ("siret,denomination\n1,2\n", "aucun point-virgule"),
    ("numeroDeclarationActivite;denomination\n1;2\n", "colonne\\(s\\) absente\\(s\\) : siretEtablissementDeclarant"),
    ("", "vide"),
])
def test_malformed_files(tmp_path, content, message):
    bad = tmp_path / "liste.csv"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        read_public_list(bad)


def test_row_with_missing_cells_and_binary_file(tmp_path):
    lines = SAMPLE_FILE.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "tronque.csv"
    bad.write_text("\n".join([lines[0], lines[1].rsplit(";", 5)[0]]) + "\n", encoding="utf-8")
    with pytest.raises(UsageError, match="ligne 2 — nombre de colonnes"):
        read_public_list(bad)
    binary = tmp_path / "liste.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00binary")
    with pytest.raises(UsageError, match="pas un fichier texte UTF-8"):
        read_public_list(binary)


def test_cli_prefill_prospect(tmp_path):
    r = run_cli("client", "new", "formasud", "--from-public-list", SAMPLE, "--siret", "82345678500026",
                "--prospect", "--json", workspace=tmp_path)
    assert r.code == 0, r.err
    profile = r.json()["profile"]
    assert profile["name"] == "Formasud Digital" and profile["nda"] == "93131234567"
    assert profile["prospect"] is True and profile["certification"]["categories"] == ["AF"]
    assert profile["certification"]["certified"] is False  # the date and certifier stay manual
    assert any("à saisir à la main" in item for item in r.json()["remaining"])


def test_cli_errors_are_french_with_exit_codes(tmp_path):
    missing = run_cli("client", "new", "x", "--from-public-list", SAMPLE, "--siret", "73282932000074",
                      workspace=tmp_path)
    assert missing.code == 6 and "absent de la liste publique" in missing.err and "Traceback" not in missing.err
    bad = tmp_path / "liste.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    malformed = run_cli("client", "new", "x", "--from-public-list", str(bad), "--siret", "82345678500026",
                        workspace=tmp_path)
    assert malformed.code == 2 and "Liste publique mal formée" in malformed.err
    neither = run_cli("client", "new", "x", workspace=tmp_path)
    assert neither.code == 2 and "--template" in neither.err
    # Nothing was created by the failed attempts.
    listed = run_cli("client", "list", "--json", workspace=tmp_path)
    assert listed.code in (0, 6) and "\"x\"" not in listed.out


def test_spaced_numbers_and_quoted_fields(tmp_path):
    lines = SAMPLE_FILE.read_text(encoding="utf-8").splitlines()
    row = lines[2].split(";")
    row[2] = '"FORMASUD; DIGITAL"'          # a quoted name holding the separator
    row[4] = "823 456 785 00026"            # a SIRET written with spaces
    path = tmp_path / "liste.csv"
    path.write_text("\n".join([lines[0], lines[1], ";".join(row)]) + "\n", encoding="utf-8")
    entry = find_provider(path, siret="82345678500026")
    assert entry.name == "FORMASUD; DIGITAL" and entry.siret == "82345678500026"
