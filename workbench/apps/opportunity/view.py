"""ipywidgets screen of the opportunity questionnaire. Widgets only bind state: every change goes
to :class:`OpportunityModel`; nothing is displayed by the constructor (display ``view.widget``)."""

from __future__ import annotations

import html

import ipywidgets as W

from workbench.apps.opportunity.model import OpportunityModel
from workbench.core.dates import fr_date
from workbench.domain.opportunity import Growth

_FULL = W.Layout(width="100%")


def _e(text: object) -> str:
    return html.escape(str(text))


class OpportunityView:
    def __init__(self, model: OpportunityModel) -> None:
        self.model = model
        q = model.questionnaire.question
        v = model.values
        style = {"description_width": "initial"}
        self._inputs: dict[str, W.Widget] = {
            "funded_share_now": W.BoundedFloatText(value=v["funded_share_now"], min=0, max=100,
                                                   description=q("funded_share_now").label, style=style, layout=_FULL),
            "funded_share_planned": W.BoundedFloatText(value=v["funded_share_planned"], min=0, max=100,
                                                       description=q("funded_share_planned").label, style=style,
                                                       layout=_FULL),
            "growth": W.Dropdown(options=[(label, key) for key, label in q("growth").choices.items()],
                                 value=Growth(v["growth"]).value, description=q("growth").label, style=style,
                                 layout=_FULL),
            "activity_limited_by_choice": W.Checkbox(value=bool(v["activity_limited_by_choice"]),
                                                     description=q("activity_limited_by_choice").label, indent=False),
            "credibility_needs": W.Checkbox(value=bool(v["credibility_needs"]),
                                            description=q("credibility_needs").label, indent=False),
            "maturity": W.Dropdown(options=[(f"{key} — {label}", int(key)) for key, label in q("maturity").choices.items()],
                                   value=int(v["maturity"]), description=q("maturity").label, style=style,
                                   layout=_FULL),
            "capacity_days_per_month": W.BoundedFloatText(value=v["capacity_days_per_month"], min=0, max=31, step=0.5,
                                                          description=q("capacity_days_per_month").label,
                                                          style=style, layout=_FULL),
            "deadline": W.DatePicker(value=v["deadline"], description=q("deadline").label, style=style),
            "works_as_subcontractor": W.Checkbox(value=bool(v["works_as_subcontractor"]),
                                                 description=q("works_as_subcontractor").label, indent=False),
            "annual_revenue": W.FloatText(value=v["annual_revenue"] or 0, description=q("annual_revenue").label,
                                          style=style, layout=_FULL),
        }
        for key, widget in self._inputs.items():
            widget.observe(self._changed(key), names="value")
        self.save_button = W.Button(description="Enregistrer l'évaluation", button_style="primary", icon="save")
        self.save_button.on_click(lambda _b: self._save())
        self.result = W.HTML()
        self.status = W.HTML()
        self.widget = W.VBox([
            W.HTML(f"<h2>{_e(model.questionnaire.title)}</h2><p>{_e(model.profile.name)}</p>"),
            *self._inputs.values(), self.save_button, self.status, self.result,
        ])
        self._render()

    def _changed(self, key: str):  # noqa: ANN202 - traitlets callback factory
        def handler(change: dict) -> None:
            value = change["new"]
            if key == "annual_revenue":
                value = value or None
            self.model.set(key, value)
            self._render()
        return handler

    def _save(self) -> None:
        saved = self.model.save()
        if saved is None:
            self.status.value = f"<p style='color:#b00020'>{_e(self.model.error)}</p>"
        else:
            self.status.value = (f"<p>Évaluation n° {saved.id} enregistrée le {fr_date(saved.assessed_on)} "
                                 f"({len(self.model.history())} au total).</p>")

    def _render(self) -> None:
        m = self.model
        if m.preview is None:
            self.result.value = f"<p style='color:#b00020'>{_e(m.error)}</p>"
            return
        r = m.preview.to_dict()
        cost = r["cost_estimate"]
        parts = [f"<h3>{_e(r['verdict_label'])}</h3><ul>"]
        parts += [f"<li>{_e(x)}</li>" for x in r["reasons"]]
        parts.append("</ul>")
        if r["risks"]:
            parts.append("<p><strong>Risques</strong></p><ul>")
            parts += [f"<li>{_e(x['text'])}</li>" for x in r["risks"]]
            parts.append("</ul>")
        parts.append(f"<p><strong>Accompagnement :</strong> {_e(r['recommended_support_label'])}</p>")
        parts.append(f"<p><strong>Coût sur 3 ans :</strong> {cost['low']:,} à {cost['high']:,} € HT"
                     .replace(",", "\u202f") + "</p>")
        if m.preview.timeline:
            parts.append("<ul>" + "".join(f"<li>{_e(s.describe())}</li>" for s in m.preview.timeline) + "</ul>")
        self.result.value = "".join(parts)
