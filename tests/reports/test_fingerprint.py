"""The batch's fingerprint sees the firm's own data: a report made from it is remade when it changes."""

from __future__ import annotations

from workbench.core.settings import load_settings
from workbench.reports.fingerprint import settings_fingerprint


def test_the_firms_own_data_changes_the_fingerprint(tmp_path):
    settings = load_settings(tmp_path)
    before = settings_fingerprint(settings)
    assert settings_fingerprint(settings) == before  # stable while nothing changes
    (tmp_path / "modeles").mkdir()
    (tmp_path / "modeles" / "rapport.docx").write_bytes(b"gabarit du cabinet")
    with_template = settings_fingerprint(settings)
    assert with_template != before
    (tmp_path / "referentiel" / "remediation").mkdir(parents=True)
    (tmp_path / "referentiel" / "remediation" / "rnq-2026.yaml").write_text("# propre au cabinet\n", encoding="utf-8")
    assert settings_fingerprint(settings) != with_template
    (tmp_path / "notes.txt").write_text("sans effet sur les rapports", encoding="utf-8")  # not a data folder
    assert settings_fingerprint(settings) == settings_fingerprint(load_settings(tmp_path))
