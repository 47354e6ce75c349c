"""The portfolio view's session-file review and prospects, and the batch fingerprints that decide
whether a client's report (or the portfolio) is made again, on a real SQLite store."""

from __future__ import annotations

import datetime as dt

from tests.support import seed_sample
from workbench.domain.checklist import ReviewStatus
from workbench.reports.fingerprint import client_fingerprint, portfolio_fingerprint
from workbench.services.opportunity import run_assessment
from workbench.services.sessions import mission_review, save_item_reviews
from workbench.services.workspace import Workspace
from workbench.store.sessions import SessionRepository

TODAY = dt.date(2026, 11, 27)


def test_client_fingerprint_follows_the_session_review(seeded_mission):
    ws_dir, mission = seeded_mission
    with Workspace.open(ws_dir) as ws:
        def fingerprint() -> str:
            return client_fingerprint(ws, ws.store.get_mission(mission.id), today=TODAY)

        without = fingerprint()
        sample = seed_sample(ws, mission.client_id, mission.id)
        drawn = fingerprint()
        assert drawn != without  # the sessions and the sample are in the report
        assert fingerprint() == drawn  # nothing changed: the same fingerprint, the report is skipped
        ref = sample.references[0]
        item = mission_review(ws, mission.client_id, mission.id).results.files[0].lines[0].item.id
        save_item_reviews(ws, mission.client_id, mission.id, [(ref, item, {"status": ReviewStatus.MISSING})])
        reviewed = fingerprint()
        assert reviewed != drawn and fingerprint() == reviewed
        save_item_reviews(ws, mission.client_id, mission.id, [(ref, item, {"status": ReviewStatus.PRESENT})])
        back = fingerprint()
        assert back not in (drawn, reviewed)
        # A sampled session imported again with another trainer: the report's table changes.
        repo = SessionRepository(ws.store)
        session = repo.get(mission.client_id, ref)
        repo.upsert(mission.client_id, [session.model_copy(update={"trainers": ("Nouveau formateur",)})])
        assert fingerprint() != back


def test_fingerprints_ignore_other_clients_but_the_portfolio_sees_prospects(seeded_mission):
    from tests.support import make_profile, seed_mission

    ws_dir, mission = seeded_mission
    with Workspace.open(ws_dir) as ws:
        second = seed_mission(ws, make_profile("second-client"))
        seed_sample(ws, mission.client_id, mission.id)
        first_fp = client_fingerprint(ws, ws.store.get_mission(mission.id), today=TODAY)
        missions = [ws.store.get_mission(mission.id), second]
        portfolio = portfolio_fingerprint(ws, missions, None, TODAY)
        # The second client's sample and review leave the first client's fingerprint alone.
        sample = seed_sample(ws, second.client_id, second.id)
        item = mission_review(ws, second.client_id, second.id).results.files[0].lines[0].item.id
        save_item_reviews(ws, second.client_id, second.id,
                          [(sample.references[0], item, {"status": ReviewStatus.MISSING})])
        assert client_fingerprint(ws, ws.store.get_mission(mission.id), today=TODAY) == first_fp
        reviewed = portfolio_fingerprint(ws, missions, None, TODAY)
        assert reviewed != portfolio
        # A prospect and its assessment change the portfolio (it lists them), not the clients.
        ws.store.create_client(make_profile("prospect-x", prospect=True))
        with_prospect = portfolio_fingerprint(ws, missions, None, TODAY)
        assert with_prospect != reviewed
        run_assessment(ws, "prospect-x", {"growth": "growth", "funded_share_planned": 40}, today=TODAY)
        assert portfolio_fingerprint(ws, missions, None, TODAY) != with_prospect
        assert portfolio_fingerprint(ws, missions, None, TODAY) == portfolio_fingerprint(ws, missions, None, TODAY)
        assert client_fingerprint(ws, ws.store.get_mission(mission.id), today=TODAY) == first_fp


def test_the_demo_portfolio_shows_the_review_and_the_prospects(demo):
    """What the batch's portfolio shows on the demo: the reviewed client's files, the prospects apart."""
    from tests.conftest import DEMO_TODAY
    from workbench.domain.opportunity import Verdict
    from workbench.reports.portfolio import load_portfolio, render_portfolio_section
    from workbench.services.demo_prospects import PROSPECTS
    from workbench.services.demo_sessions import CLIENT

    with Workspace.open(demo) as ws:
        review = mission_review(ws, CLIENT)
        res = review.results
        names = {p.id: p.name for p in ws.store.list_clients()}
    ctx = load_portfolio(demo, today=DEMO_TODAY)
    rows = {r.client_id: r for r in ctx.rows}
    files = rows[CLIENT].files
    assert (files.mission_id, files.sampled, files.reviewed, files.complete, files.incomplete,
            files.missing_items) == (review.mission.id, review.sample.size, res.reviewed, res.complete,
                                     sum(1 for f in res.files if f.missing), sum(f.missing for f in res.files))
    assert files.incomplete > 0
    assert {p.client_id: p.verdict_label for p in ctx.prospects} == {p.id: Verdict(p.expected).label
                                                                     for p in PROSPECTS}
    assert not set(rows) & {p.id for p in PROSPECTS}  # prospects are not among the clients
    dossiers = render_portfolio_section(ctx, "dossiers")
    assert f"{files.missing_items} pièce(s) manquante(s)" in " ".join(dossiers.split())
    assert dossiers.count("aucun échantillon") == sum(r.files is None for r in ctx.rows)
    prospects = render_portfolio_section(ctx, "prospects")
    for p in PROSPECTS:
        assert names[p.id] in prospects and Verdict(p.expected).label in prospects
    clients = render_portfolio_section(ctx, "clients")
    assert not any(names[p.id] in clients for p in PROSPECTS)
