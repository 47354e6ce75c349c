"""The opportunity questionnaire screen without a browser, and its notebook under papermill."""

from __future__ import annotations

import datetime as dt

import nbformat
import papermill as pm

from workbench.apps.opportunity.model import OpportunityModel
from workbench.apps.opportunity.view import OpportunityView
from workbench.data import notebook
from workbench.domain.templates import load_template, profile_from_template
from workbench.services.opportunity import list_prospects
from workbench.store.opportunity import list_assessments


def _prospect(ws, client_id="solo"):
    ws.store.create_client(profile_from_template(load_template("formateur-independant"), client_id, "Solo Formation",
                                                 prospect=True))
    return client_id


def test_view_binds_state_and_saves(workspace):
    cid = _prospect(workspace)
    view = OpportunityView(OpportunityModel(workspace, cid, today=dt.date(2026, 12, 1)))
    assert "Pas prioritaire" in view.result.value
    view._inputs["funded_share_now"].value = 60
    assert "Stratégique maintenant" in view.result.value and "60 %" in view.result.value
    view._inputs["maturity"].value = 1
    assert "informelle" in view.result.value
    assert list_assessments(workspace.store, cid) == []  # previews store nothing
    view.save_button.click()
    saved = list_assessments(workspace.store, cid)
    assert [s.verdict for s in saved] == ["strategic_now"] and "n° 1 enregistrée" in view.status.value
    view._inputs["capacity_days_per_month"].value = 40  # clamped by the widget to 31
    view._inputs["deadline"].value = dt.date(2027, 1, 15)
    view.save_button.click()
    assert len(list_assessments(workspace.store, cid)) == 2
    assert list_prospects(workspace)[0].verdict == "strategic_now"
    # Reopening starts from the last answers.
    again = OpportunityModel(workspace, cid, today=dt.date(2026, 12, 1))
    assert again.values["funded_share_now"] == 60 and again.values["deadline"] == "2027-01-15"


def test_notebook_runs_under_papermill(workspace, tmp_path):
    cid = _prospect(workspace)
    out = tmp_path / "opportunite.ipynb"
    pm.execute_notebook(str(notebook("opportunite.ipynb")), str(out),
                        parameters={"workspace": str(workspace.path), "client": cid},
                        kernel_name="python3", progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    views = [o for c in nb.cells for o in c.get("outputs", []) if "application/vnd.jupyter.widget-view+json" in
             o.get("data", {})]
    assert views
