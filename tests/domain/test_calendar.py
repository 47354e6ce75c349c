"""The certification calendar engine (table-driven), alerts, calendar files and the CLI."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from tests.support import run_cli
from workbench.core.vocab import ActionStatus, AuditType, Category, MissionType, Verdict
from workbench.domain.alerts import AlertKind, StaleProof, client_alerts
from workbench.domain.audit_cycle import cycle_dates
from workbench.domain.calendar import (
    CalendarKind,
    ClientCalendarInput,
    OpenNC,
    PlannedAction,
    PlannedMission,
    client_calendar,
    in_range,
    nc_deadline,
    portfolio_calendar,
)
from workbench.domain.profile import Certification, ClientProfile
from workbench.domain.tasks import PlanTask, plan_view
from workbench.reports.ics import build_calendar, write_ics

D = dt.date


def _profile(cert: dt.date | None, cid="c1", consultant="Sophie Durand") -> ClientProfile:
    return ClientProfile(id=cid, name=f"Client {cid}", categories=[Category.AF], consultant=consultant,
                         certification=Certification(certified=cert is not None, certificate_date=cert))


@pytest.mark.parametrize(
    "certificate, surveillance_from, surveillance_until, renewal_from, renewal_until, expiry",
    [
        (D(2025, 3, 10), D(2026, 5, 10), D(2027, 1, 10), D(2027, 10, 9), D(2027, 12, 9), D(2028, 3, 9)),
        # certificate on the 31st: months without a 31st clamp to their last day
        (D(2024, 12, 31), D(2026, 2, 28), D(2026, 10, 31), D(2027, 7, 30), D(2027, 9, 30), D(2027, 12, 30)),
        (D(2025, 1, 31), D(2026, 3, 31), D(2026, 11, 30), D(2027, 8, 30), D(2027, 10, 30), D(2028, 1, 30)),
        # on the 30th and 29th: February clamps, in a leap year to the 29th
        (D(2026, 12, 30), D(2028, 2, 29), D(2028, 10, 30), D(2029, 7, 29), D(2029, 9, 29), D(2029, 12, 29)),
        (D(2025, 12, 29), D(2027, 2, 28), D(2027, 10, 29), D(2028, 7, 28), D(2028, 9, 28), D(2028, 12, 28)),
        # certificate on a leap day: no 29 February three years later, valid to the end of February
        (D(2024, 2, 29), D(2025, 4, 29), D(2025, 12, 29), D(2026, 9, 28), D(2026, 11, 28), D(2027, 2, 28)),
        # year boundaries
        (D(2026, 11, 1), D(2028, 1, 1), D(2028, 9, 1), D(2029, 5, 31), D(2029, 7, 31), D(2029, 10, 31)),
    ],
)
def test_cycle_windows(certificate, surveillance_from, surveillance_until, renewal_from, renewal_until, expiry):
    cycle = cycle_dates(_profile(certificate))
    items = {i.kind: i for i in client_calendar(ClientCalendarInput("c1", "Client c1", cycle=cycle), D(2026, 11, 27))}
    assert (items[CalendarKind.SURVEILLANCE_WINDOW].start, items[CalendarKind.SURVEILLANCE_WINDOW].end) == (
        surveillance_from, surveillance_until)
    assert (items[CalendarKind.RENEWAL_WINDOW].start, items[CalendarKind.RENEWAL_WINDOW].end) == (
        renewal_from, renewal_until)
    assert items[CalendarKind.CERTIFICATE_EXPIRY].start == expiry
    assert items[CalendarKind.CERTIFICATE_EXPIRY].end is None


@pytest.mark.parametrize(
    "audit, level, expected",
    [
        (D(2026, 12, 8), Verdict.NC_MAJEURE, D(2027, 3, 8)),
        (D(2026, 11, 30), Verdict.NC_MAJEURE, D(2027, 2, 28)),   # month end
        (D(2027, 11, 30), Verdict.NC_MAJEURE, D(2028, 2, 29)),   # leap year
        (D(2026, 8, 31), Verdict.NC_MINEURE, D(2027, 2, 28)),
        (D(2027, 8, 31), Verdict.NC_MINEURE, D(2028, 2, 29)),
    ],
)
def test_nc_deadlines(audit, level, expected):
    assert nc_deadline(audit, level) == expected


TODAY = D(2026, 11, 27)


def _input(today=TODAY, **kw) -> ClientCalendarInput:
    tasks = [PlanTask(client_id="c1", id="veille-legale", title="Veille légale", frequency_months=3,
                      start_date=D(2026, 6, 1), indicators=(23,)),
             PlanTask(client_id="c1", id="old", title="Retirée", frequency_months=3, start_date=D(2026, 6, 1),
                      retired=True)]
    base = dict(
        client_id="c1", client_name="Client c1", consultant="Sophie Durand",
        cycle=cycle_dates(_profile(D(2025, 3, 10))),
        missions=(PlannedMission("c1-m1", MissionType.PREP_SURVEILLANCE, AuditType.SURVEILLANCE, D(2026, 12, 8)),
                  PlannedMission("c1-m2", MissionType.POINT_SUIVI, AuditType.SURVEILLANCE, D(2027, 2, 1))),
        ncs=(OpenNC("c1-m1", D(2026, 12, 8), Verdict.NC_MAJEURE, (4, 12)),),
        actions=(PlannedAction(1, "Rédiger la procédure", D(2026, 11, 1), ActionStatus.EN_COURS, 4),
                 PlannedAction(2, "Faite", D(2026, 11, 1), ActionStatus.FAIT, 4),
                 PlannedAction(3, "Sans date", None, ActionStatus.A_FAIRE, 5),
                 PlannedAction(4, "Plus tard", D(2027, 1, 15), ActionStatus.A_FAIRE, 12)),
        tasks=tuple(plan_view(tasks, [], today, include_retired=True)),
    )
    base.update(kw)
    return ClientCalendarInput(**base)


def test_client_calendar_lists_every_kind_with_french_titles_and_flags_late_items():
    today = D(2026, 11, 27)
    items = client_calendar(_input(), today)
    kinds = [i.kind for i in items]
    assert set(kinds) == set(CalendarKind)
    assert kinds.count(CalendarKind.ACTION_DUE) == 2  # done and undated actions are left out
    assert kinds.count(CalendarKind.TASK_DUE) == 1  # the retired task is left out
    late = {i.key for i in items if i.late}
    assert late == {"action-1", "task-veille-legale"}
    nc = next(i for i in items if i.kind == CalendarKind.NC_DEADLINE)
    assert nc.start == D(2027, 3, 8) and nc.title.startswith("Si confirmées à l'audit") and "4, 12" in nc.title
    held = next(i for i in client_calendar(_input(), D(2026, 12, 9)) if i.kind == CalendarKind.NC_DEADLINE)
    assert not held.title.startswith("Si confirmées")
    followup = next(i for i in items if i.key == "mission-c1-m2")
    assert followup.title.startswith("Point de suivi")
    assert [i.start for i in items] == sorted(i.start for i in items)
    assert all(i.reminders for i in items)


def test_keys_are_stable_whatever_the_dates():
    first = {i.uid for i in client_calendar(_input(), D(2026, 11, 27))}
    moved = _input(actions=(PlannedAction(1, "Rédiger la procédure", D(2027, 5, 1), ActionStatus.A_FAIRE, 4),
                            PlannedAction(4, "Plus tard", D(2027, 6, 15), ActionStatus.A_FAIRE, 12)))
    second = {i.uid for i in client_calendar(moved, D(2027, 1, 10))}
    assert second <= first
    assert len(first) == len(client_calendar(_input(), D(2026, 11, 27)))  # unique


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (D(2026, 12, 1), D(2026, 12, 31), {"mission-c1-m1", "cycle-20250310-surveillance"}),
        (D(2027, 1, 10), D(2027, 1, 10), {"cycle-20250310-surveillance"}),   # last day of the window counts
        (D(2027, 1, 11), D(2027, 1, 31), {"action-4"}),
        (None, D(2026, 5, 9), set()),
    ],
)
def test_range_filter(start, end, expected):
    items = in_range(client_calendar(_input(), D(2026, 11, 27)), start, end)
    assert {i.key for i in items} - {"task-veille-legale"} == expected


def test_portfolio_merges_clients_by_date_and_filters_by_consultant():
    other = ClientCalendarInput("c2", "Client c2", consultant="Marc Petit", cycle=cycle_dates(_profile(D(2025, 9, 1))))
    items = portfolio_calendar([_input(), other], D(2026, 11, 27), start=D(2026, 11, 27), end=D(2027, 12, 31))
    assert {i.client for i in items} == {"c1", "c2"}
    assert [(i.start, i.client) for i in items] == sorted((i.start, i.client) for i in items)
    only = portfolio_calendar([_input(), other], D(2026, 11, 27), consultant="  marc petit ")
    assert {i.client for i in only} == {"c2"}


# -- alerts ---------------------------------------------------------------------------------


def test_alerts_cover_late_tasks_and_actions_stale_proofs_unplanned_surveillance_and_nc_deadlines():
    today = D(2026, 11, 27)
    stale = (StaleProof(23, "Veille légale", "Preuve la plus récente datée du 01/01/2025 : à actualiser."),)
    alerts = client_alerts(_input(), today, stale=stale, audit_date=D(2026, 12, 8))
    kinds = {a.kind for a in alerts}
    assert {AlertKind.TASK_OVERDUE, AlertKind.ACTION_OVERDUE, AlertKind.STALE_EVIDENCE} <= kinds
    assert AlertKind.SURVEILLANCE_UNPLANNED not in kinds  # a surveillance mission is planned in the window
    assert AlertKind.NC_DEADLINE not in kinds  # 3 months ahead
    assert [a.severity for a in alerts] == sorted(a.severity for a in alerts)
    # past the audit: the stale proof no longer matters; the NC deadline approaches
    later = client_alerts(_input(), D(2027, 2, 20), stale=stale, audit_date=D(2026, 12, 8))
    assert AlertKind.STALE_EVIDENCE not in {a.kind for a in later}
    nc = next(a for a in later if a.kind == AlertKind.NC_DEADLINE)
    assert "dans 16 jour(s)" in nc.title


@pytest.mark.parametrize(
    "today, missions, expected",
    [
        (D(2026, 2, 8), (), None),                                   # opens in 91 days
        (D(2026, 2, 9), (), 3),                                      # opens in exactly 90 days
        (D(2026, 6, 1), (), 2),                                      # already open
        (D(2026, 6, 1), (PlannedMission("m", MissionType.PREP_SURVEILLANCE, AuditType.SURVEILLANCE,
                                        D(2026, 9, 1)),), None),
        (D(2026, 6, 1), (PlannedMission("m", MissionType.POINT_SUIVI, AuditType.SURVEILLANCE,
                                        D(2026, 9, 1)),), 2),        # a follow-up visit is not the audit
        (D(2027, 1, 11), (), None),                                  # window closed
    ],
)
def test_unplanned_surveillance(today, missions, expected):
    inp = ClientCalendarInput("c1", "Client c1", cycle=cycle_dates(_profile(D(2025, 3, 10))), missions=missions)
    found = [a for a in client_alerts(inp, today) if a.kind == AlertKind.SURVEILLANCE_UNPLANNED]
    assert [a.severity for a in found] == ([expected] if expected else [])


# -- calendar files -------------------------------------------------------------------------


def _parse(data: bytes) -> list:
    cal = Calendar.from_ical(data)
    return list(cal.walk("VEVENT"))


def test_ics_parses_back_with_all_day_events_alarms_and_stable_uids(tmp_path):
    items = client_calendar(_input(), D(2026, 11, 27))
    path = write_ics(tmp_path / "c1.ics", items, "Qualiopi — Client c1",
                     generated_at=dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC))
    events = _parse(path.read_bytes())
    assert len(events) == len(items)
    by_uid = {str(e["UID"]): e for e in events}
    assert set(by_uid) == {i.uid for i in items}
    window = next(i for i in items if i.kind == CalendarKind.SURVEILLANCE_WINDOW)
    ev = by_uid[window.uid]
    assert ev.decoded("DTSTART") == window.start and ev.decoded("DTEND") == window.end + dt.timedelta(days=1)
    alarms = [a for a in ev.walk("VALARM")]
    assert [a.decoded("TRIGGER") for a in alarms] == [dt.timedelta(days=-90), dt.timedelta(days=-30)]
    assert all(str(a["ACTION"]) == "DISPLAY" for a in alarms)
    late = next(i for i in items if i.late)
    assert str(by_uid[late.uid]["SUMMARY"]).startswith("[En retard]")
    assert not list(Calendar.from_ical(path.read_bytes()).walk("VTODO"))

    # a second export after changes: same UIDs, newer sequence, moved dates: a re-import updates
    moved = client_calendar(_input(actions=(PlannedAction(1, "Rédiger la procédure", D(2027, 1, 5),
                                                          ActionStatus.EN_COURS, 4),)), D(2026, 12, 1))
    again = build_calendar(moved, "x", generated_at=dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC))
    second = {str(e["UID"]): e for e in again.walk("VEVENT")}
    assert set(second) <= set(by_uid)
    assert second["c1.action-1@qualiopi-workbench"].decoded("DTSTART") == D(2027, 1, 5)
    assert int(second[window.uid]["SEQUENCE"]) > int(ev["SEQUENCE"])


def test_ics_refuses_a_wrong_name(tmp_path):
    from workbench.core.errors import UsageError

    with pytest.raises(UsageError, match=".ics"):
        write_ics(tmp_path / "x.txt", [], "x")
    with pytest.raises(UsageError, match="dossier"):
        write_ics(tmp_path, [], "x")


# -- command line ---------------------------------------------------------------------------


@pytest.fixture
def portfolio(workspace, workspace_dir):
    ws = workspace
    ws.store.create_client(_profile(D(2025, 3, 10), "alpha"))
    ws.store.create_client(_profile(D(2024, 5, 14), "beta", consultant="Marc Petit"))
    ws.store.create_client(_profile(None, "gamma"))
    ws.new_mission("alpha", mission_type=MissionType.PREP_SURVEILLANCE, audit_date=D(2026, 12, 8))
    ws.close()
    return workspace_dir


def test_calendar_cli_json_contract_and_ics_reimport(portfolio, tmp_path):
    args = ("calendar", "--from", "2026-11-27", "--to", "2027-12-31", "--today", "2026-11-27")
    r = run_cli(*args, "--json", "--ics", str(tmp_path / "p.ics"), workspace=portfolio)
    assert r.code == 0, r.err
    rows = r.json()
    assert rows and {"alpha", "beta", "gamma"} == {x["client"] for x in rows}
    for row in rows:
        assert {"client", "kind", "start", "end", "title"} <= set(row)
        assert row["kind"] in {k.value for k in CalendarKind}
        dt.date.fromisoformat(row["start"])
        assert row["end"] is None or dt.date.fromisoformat(row["end"]) >= dt.date.fromisoformat(row["start"])
    assert {x["kind"] for x in rows if x["client"] == "beta"} >= {"renewal_window", "certificate_expiry"}
    first = {str(e["UID"]) for e in _parse((tmp_path / "p.ics").read_bytes())}
    assert len(first) == len(rows)
    # a second export of the same file: same UIDs, nothing duplicated
    r = run_cli(*args, "--ics", str(tmp_path / "p.ics"), workspace=portfolio)
    assert r.code == 0 and "réimportable" in r.out
    assert {str(e["UID"]) for e in _parse((tmp_path / "p.ics").read_bytes())} == first
    # one client: only its own items (and the same UIDs as in the portfolio file)
    one = run_cli("calendar", "--client", "beta", "--json", "--today", "2026-11-27", "--to", "2027-12-31",
                  workspace=portfolio).json()
    assert {x["client"] for x in one} == {"beta"}
    assert {x["uid"] for x in one} <= first
    mine = run_cli("calendar", "--consultant", "Marc Petit", "--json", "--today", "2026-11-27",
                   workspace=portfolio).json()
    assert {x["client"] for x in mine} == {"beta"}


@pytest.mark.parametrize(
    "args, code, message",
    [
        (("calendar", "--from", "2027-01-01", "--to", "2026-01-01"), 2, "période vide"),
        (("calendar", "--from", "01/01/2027"), 2, "AAAA-MM-JJ"),
        (("calendar", "--client", "inconnu"), 6, "Client inconnu"),
        (("calendar", "--client", "beta", "--consultant", "Sophie Durand"), 2, "n'est pas suivi"),
        (("calendar", "--ics", "sortie.txt"), 2, ".ics"),
        (("alerts", "inconnu"), 6, "Client inconnu"),
    ],
)
def test_calendar_cli_errors(portfolio, args, code, message):
    r = run_cli(*args, workspace=portfolio)
    assert r.code == code, (r.out, r.err)
    assert message in r.err and "Traceback" not in r.err


def test_alerts_cli(portfolio):
    r = run_cli("alerts", "--json", "--today", "2026-11-27", workspace=portfolio)
    assert r.code == 0, r.err
    assert r.json() == []  # plans just started, nothing late yet, surveillance of alpha planned
    # a month and a half later every task (never done) is past due
    alerts = run_cli("alerts", "--json", "--today", "2027-01-15", workspace=portfolio).json()
    assert {"client", "kind", "title", "severity", "date"} <= set(alerts[0])
    assert {a["client"] for a in alerts} == {"alpha", "beta", "gamma"}
    assert [a["severity"] for a in alerts] == sorted(a["severity"] for a in alerts)
    one = run_cli("alerts", "alpha", "--json", "--today", "2027-01-15", workspace=portfolio).json()
    assert {a["client"] for a in one} == {"alpha"} and "task_overdue" in {a["kind"] for a in one}
    text = run_cli("alerts", "--today", "2027-01-15", "--consultant", "Marc Petit", workspace=portfolio)
    assert "À traiter pour le portefeuille" in text.out and "alpha" not in text.out and "beta" in text.out
