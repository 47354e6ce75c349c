"""Actions added, edited and abandoned by the consultant (CLI and interview app share these rules).

Every change goes through the store, so the history keeps who changed what and when. An action is
never deleted: abandoning it sets its status and keeps the reason in its comment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from workbench.core.errors import NotFoundError, UsageError
from workbench.core.vocab import ActionStatus
from workbench.domain.records import Action, Mission
from workbench.services.workspace import Workspace


def _mission_action(ws: Workspace, mission: Mission, action_id: int) -> Action:
    for action in ws.store.list_actions(mission.id):
        if action.id == action_id:
            return action
    raise NotFoundError(f"Action {action_id} inconnue pour la mission « {mission.id} » "
                        f"(voir : workbench actions list {mission.client_id}).")


def parse_status(raw: str) -> ActionStatus:
    value = raw.strip().lower()
    for status in ActionStatus:
        if value in (status.value, status.label.lower()):
            return status
    allowed = ", ".join(s.value for s in ActionStatus)
    raise UsageError(f"statut d'action inconnu : « {raw} » (possibles : {allowed}).")


def add_action(ws: Workspace, mission: Mission, *, number: int, title: str, detail: str = "", owner: str = "",
               due_date: dt.date | None = None, priority: int = 2, comment: str = "") -> Action:
    ref = ws.library.get(mission.referential_id)
    try:
        indicator = ref.indicator(number)
    except Exception:  # noqa: BLE001 - ReferentialError: say which numbers exist
        raise UsageError(f"indicateur {number} inconnu dans ce référentiel (1 à {len(ref.indicators)}).") from None
    if not title.strip():
        raise UsageError("l'intitulé de l'action est vide.")
    if priority not in (1, 2, 3, 4):
        raise UsageError(f"priorité invalide : {priority} (1 = NC majeure … 4 = preuve à actualiser).")
    return ws.store.add_action(Action(mission_id=mission.id, indicator_id=indicator.id, title=title.strip(),
                                      detail=detail.strip(), owner=owner.strip(), due_date=due_date,
                                      priority=priority, comment=comment.strip()))


def edit_action(ws: Workspace, mission: Mission, action_id: int, **changes: Any) -> Action:
    """Change some fields (title, detail, owner, due_date, status, comment, priority) of one action."""
    _mission_action(ws, mission, action_id)
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in changes.items() if v is not None}
    if not clean:
        raise UsageError("rien à modifier : indiquez au moins un champ.")
    if "title" in clean and not clean["title"]:
        raise UsageError("l'intitulé de l'action ne peut pas être vide.")
    return ws.store.update_action(action_id, **clean)


def abandon_action(ws: Workspace, mission: Mission, action_id: int, reason: str = "") -> Action:
    current = _mission_action(ws, mission, action_id)
    if current.status == ActionStatus.ABANDONNE:
        raise UsageError(f"l'action {action_id} est déjà abandonnée.")
    comment = current.comment
    if reason.strip():
        comment = f"{comment}\nAbandonnée : {reason.strip()}".strip()
    return ws.store.update_action(action_id, status=ActionStatus.ABANDONNE, comment=comment)
