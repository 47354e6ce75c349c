"""Interview app panel for the deliverable: report texts and the action plan.

The consultant writes the executive summary and conclusion, records the visit and the signature
block, and adds, edits or abandons actions, with the same services as ``workbench texts`` and
``workbench actions add|edit|abandon`` (so the same rules and the same history). Widget state only:
every button calls a package function and shows the result or the French error in ``status``.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from workbench.core.dates import fr_date
from workbench.core.errors import UsageError, WorkbenchError
from workbench.core.vocab import ActionStatus
from workbench.domain.deliverable import Signature, Visit, parse_person
from workbench.services.action_edits import abandon_action, add_action, edit_action
from workbench.services.workspace import Workspace
from workbench.store.report_texts import get_report_texts, save_report_texts

_WIDE = W.Layout(width="100%")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _date(raw: str, what: str) -> dt.date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise UsageError(f"{what} invalide : « {raw} » (format attendu : AAAA-MM-JJ).") from None


class DeliverablePanel:
    """Report texts and action plan of one mission; ``widget`` is the root."""

    def __init__(self, workspace: Workspace, mission_id: str) -> None:
        self.ws = workspace
        self.mission = workspace.store.get_mission(mission_id)
        self.status = W.HTML()
        self.status.add_class("wb-deliverable-status")
        texts = get_report_texts(workspace.store, mission_id)  # type: ignore[arg-type]
        self.summary = W.Textarea(value=texts.summary, placeholder="Synthèse pour le client", layout=_WIDE)
        self.conclusion = W.Textarea(value=texts.conclusion, placeholder="Conclusion", layout=_WIDE)
        self.visit_dates = W.Text(value=", ".join(d.isoformat() for d in texts.visit.dates),
                                  description="Dates", placeholder="AAAA-MM-JJ, AAAA-MM-JJ", layout=_WIDE)
        self.people = W.Textarea(value="\n".join(f"{p.name} : {p.role}" if p.role else p.name
                                                 for p in texts.visit.people),
                                 placeholder="Une personne par ligne : Nom : rôle", layout=_WIDE)
        self.documents = W.Textarea(value="\n".join(texts.visit.documents), placeholder="Un document par ligne",
                                    layout=_WIDE)
        self.signatory = W.Text(value=texts.signature.name, description="Signataire", layout=_WIDE)
        self.signatory_role = W.Text(value=texts.signature.role, description="Fonction", layout=_WIDE)
        self.place = W.Text(value=texts.signature.place, description="Lieu", layout=_WIDE)
        self.save_texts = W.Button(description="Enregistrer les textes du rapport", button_style="primary",
                                   layout=W.Layout(width="auto"))
        self.save_texts.on_click(lambda _: self._run(self._save_texts))
        texts_box = W.VBox([
            W.HTML("<b>Synthèse</b>"), self.summary, W.HTML("<b>Conclusion</b>"), self.conclusion,
            W.HTML("<b>Visite</b>"), self.visit_dates, W.HTML("Personnes rencontrées"), self.people,
            W.HTML("Documents consultés"), self.documents, W.HTML("<b>Signature</b>"),
            self.signatory, self.signatory_role, self.place, self.save_texts,
        ], layout=_WIDE)

        ref = workspace.library.get(self.mission.referential_id)
        self._numbers = {i.id: i.number for i in ref.indicators}
        self.action_choice = W.Dropdown(description="Action", layout=_WIDE)
        self.new_indicator = W.BoundedIntText(value=1, min=1, max=len(ref.indicators), description="Indicateur")
        self.title = W.Text(description="Intitulé", layout=_WIDE)
        self.owner = W.Text(description="Responsable", layout=_WIDE)
        self.due = W.Text(description="Échéance", placeholder="AAAA-MM-JJ")
        self.action_status = W.Dropdown(options=[(s.label, s.value) for s in ActionStatus], description="Statut")
        self.comment = W.Text(description="Commentaire", layout=_WIDE)
        self.add_button = W.Button(description="Ajouter l'action", layout=W.Layout(width="auto"))
        self.edit_button = W.Button(description="Enregistrer les modifications", layout=W.Layout(width="auto"))
        self.abandon_button = W.Button(description="Abandonner l'action", button_style="warning",
                                       layout=W.Layout(width="auto"))
        self.add_button.on_click(lambda _: self._run(self._add))
        self.edit_button.on_click(lambda _: self._run(self._edit))
        self.abandon_button.on_click(lambda _: self._run(self._abandon))
        self.action_choice.observe(lambda c: self._load_action(), names="value")
        actions_box = W.VBox([
            self.action_choice, self.new_indicator, self.title, self.owner, self.due, self.action_status,
            self.comment, W.HBox([self.add_button, self.edit_button, self.abandon_button]),
        ], layout=_WIDE)
        self._refresh_actions()

        self.widget = W.Accordion(children=[texts_box, actions_box], layout=_WIDE)
        self.widget.set_title(0, "Rapport : synthèse, conclusion, visite, signature")
        self.widget.set_title(1, "Plan d'actions : ajouter, modifier, abandonner")
        self.widget.selected_index = None
        self.root = W.VBox([self.widget, self.status], layout=_WIDE)
        self.root.add_class("wb-deliverable")

    # -- helpers -------------------------------------------------------------------------
    def _run(self, action: Callable[[], str]) -> bool:
        try:
            message = action()
        except WorkbenchError as exc:
            self.status.value = f"<span class='wb-status-err'>✖ Non enregistré : {html.escape(exc.message)}</span>"
            return False
        self.status.value = f"<span class='wb-status-ok'>✔ {html.escape(message)}</span>"
        return True

    def _refresh_actions(self, select: int | None = None) -> None:
        actions = self.ws.store.list_actions(self.mission.id)
        options: list[tuple[str, Any]] = [("— nouvelle action —", None)]
        options += [(f"{a.id} · ind. {self._numbers.get(a.indicator_id, '?')} · {a.title} ({a.status.label})", a.id)
                    for a in actions]
        self.action_choice.options = options
        self.action_choice.value = select

    def _load_action(self) -> None:
        action_id = self.action_choice.value
        action = next((a for a in self.ws.store.list_actions(self.mission.id) if a.id == action_id), None)
        self.title.value = action.title if action else ""
        self.owner.value = action.owner if action else ""
        self.due.value = action.due_date.isoformat() if action and action.due_date else ""
        self.action_status.value = (action.status if action else ActionStatus.A_FAIRE).value
        self.comment.value = action.comment if action else ""
        if action:
            self.new_indicator.value = self._numbers.get(action.indicator_id, 1)

    # -- actions -------------------------------------------------------------------------
    def _save_texts(self) -> str:
        dates = [d for d in (_date(x, "date de visite") for x in self.visit_dates.value.split(",")) if d]
        visit = Visit(dates=dates, people=[parse_person(x) for x in _lines(self.people.value)],
                      documents=_lines(self.documents.value))
        signature = Signature(name=self.signatory.value.strip(), role=self.signatory_role.value.strip(),
                              place=self.place.value.strip())
        save_report_texts(self.ws.store, self.mission.id, summary=self.summary.value.strip(),  # type: ignore[arg-type]
                          conclusion=self.conclusion.value.strip(), visit=visit, signature=signature)
        return "Textes du rapport enregistrés."

    def _add(self) -> str:
        action = add_action(self.ws, self.mission, number=int(self.new_indicator.value), title=self.title.value,
                            owner=self.owner.value, due_date=_date(self.due.value, "échéance"),
                            comment=self.comment.value)
        self._refresh_actions(action.id)
        return f"Action {action.id} ajoutée."

    def _edit(self) -> str:
        if self.action_choice.value is None:
            raise UsageError("Choisissez d'abord l'action à modifier.")
        action = edit_action(self.ws, self.mission, self.action_choice.value, title=self.title.value,
                             owner=self.owner.value, due_date=_date(self.due.value, "échéance"),
                             status=ActionStatus(self.action_status.value), comment=self.comment.value)
        self._refresh_actions(action.id)
        return f"Action {action.id} modifiée ({action.status.label}, échéance {fr_date(action.due_date)})."

    def _abandon(self) -> str:
        if self.action_choice.value is None:
            raise UsageError("Choisissez d'abord l'action à abandonner.")
        action = abandon_action(self.ws, self.mission, self.action_choice.value, self.comment.value)
        self._refresh_actions(action.id)
        return f"Action {action.id} abandonnée (conservée dans l'historique)."
