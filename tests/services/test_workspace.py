"""Workspace handle: missing folders, mission binding to a version, audit type defaults."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support import run_cli
from workbench.core.errors import StoreError
from workbench.core.vocab import AuditType, MissionType
from workbench.domain.profile import Certification, ClientProfile
from workbench.services.workspace import default_audit_type


def test_read_commands_never_create_a_mistyped_workspace(tmp_path):
    missing = tmp_path / "espcae-mal-tape"
    for args in (["client", "list"], ["mission", "list"], ["client", "show", "acme"]):
        r = run_cli(*args, "--workspace", str(missing))
        assert r.code == 6, (args, r.err)
        assert "Espace de travail introuvable" in r.err and "Traceback" not in r.err
    assert not missing.exists()


def test_mission_bound_to_version_in_force(workspace):
    workspace.store.create_client(ClientProfile(id="acme", name="ACME", categories=["AF"]))
    before = workspace.new_mission("acme", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2026, 10, 31))
    after = workspace.new_mission("acme", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2026, 11, 1))
    forced = workspace.new_mission("acme", mission_type=MissionType.AUDIT_BLANC, audit_date=dt.date(2026, 11, 1),
                                   referential_id="rnq-2019-v9")
    assert (before.referential_id, before.referential_auto) == ("rnq-2019-v9", True)
    assert (after.referential_id, after.referential_auto) == ("rnq-2026", True)
    assert (forced.referential_id, forced.referential_auto) == ("rnq-2019-v9", False)
    assert workspace.store.previous_mission(after).id == before.id


@pytest.mark.parametrize(
    "mission_type, certified_on, audit_date, expected",
    [
        (MissionType.PRE_AUDIT, None, dt.date(2026, 12, 1), AuditType.INITIAL),
        (MissionType.PRE_AUDIT, dt.date(2025, 3, 10), dt.date(2026, 9, 22), AuditType.SURVEILLANCE),
        (MissionType.PRE_AUDIT, dt.date(2025, 3, 10), dt.date(2027, 6, 1), AuditType.RENOUVELLEMENT),
        (MissionType.PREP_SURVEILLANCE, dt.date(2025, 3, 10), dt.date(2026, 6, 1), AuditType.SURVEILLANCE),
        (MissionType.PREP_RENOUVELLEMENT, None, dt.date(2027, 6, 1), AuditType.RENOUVELLEMENT),
    ],
)
def test_default_audit_type(mission_type, certified_on, audit_date, expected):
    cert = Certification(certified=certified_on is not None, certificate_date=certified_on)
    profile = ClientProfile(id="x", name="X", categories=["AF"], certification=cert)
    assert default_audit_type(mission_type, profile, audit_date) == expected


def test_invalid_verdict_is_refused_in_french_and_nothing_saved(workspace):
    workspace.store.create_client(ClientProfile(id="acme", name="ACME", categories=["AF"]))
    m = workspace.new_mission("acme", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2026, 12, 1))
    workspace.store.save_answer(m.id, "rnq-2026:ind:01", verdict="conforme")
    with pytest.raises(StoreError, match="Valeur refusée pour « verdict »"):
        workspace.store.save_answer(m.id, "rnq-2026:ind:01", verdict="presque")
    assert workspace.store.get_answer(m.id, "rnq-2026:ind:01").verdict.value == "conforme"
    assert len(workspace.store.history(m.id)) == 1


def test_previous_mission_is_the_latest_earlier_audit_whatever_the_entry_order(workspace):
    workspace.store.create_client(ClientProfile(id="acme", name="ACME", categories=["AF"]))
    m1 = workspace.new_mission("acme", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2027, 6, 1))
    m2 = workspace.new_mission("acme", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2026, 12, 1))
    m3 = workspace.new_mission("acme", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2027, 12, 1))
    assert workspace.store.previous_mission(m3).id == m1.id
    assert workspace.store.previous_mission(m1).id == m2.id
    assert workspace.store.previous_mission(m2) is None
