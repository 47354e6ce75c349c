"""In the interview app: what the client changed from their space, to accept or send back.

Shown above the interview grid when the client has changes waiting for review or new since the
consultant's last look (the same list as ``workbench client changes``). Every client text is
escaped; a decision goes through :func:`workbench.store.client_space.review_change`, recorded in
the history under the consultant's name.
"""

from __future__ import annotations

import html

import ipywidgets as W

from workbench.core.dates import fr_date
from workbench.core.errors import WorkbenchError
from workbench.domain.client_space import Review
from workbench.store.client_space import ClientChange, changes_to_review, mark_seen, review_change
from workbench.store.sqlite import SQLiteStore


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


class ClientChangesPanel:
    """``widget`` is an accordion, empty (hidden) when there is nothing to look at."""

    def __init__(self, store: SQLiteStore, client_id: str) -> None:
        self.store = store
        self.client_id = client_id
        self.message = W.HTML()
        self.rows = W.VBox()
        self.widget = W.Accordion(children=[W.VBox([self.message, self.rows])])
        self.widget.add_class("wb-client-changes")
        self.refresh()
        mark_seen(store, client_id)

    def refresh(self) -> None:
        changes, seen = changes_to_review(self.store, self.client_id)
        pending = [c for c in changes if c.review == Review.PENDING]
        self.rows.children = [self._row(c, c.id > seen) for c in changes]
        self.widget.set_title(0, f"Espace client : {len(pending)} modification(s) à examiner")
        self.widget.layout.display = None if changes else "none"

    def _row(self, change: ClientChange, new: bool) -> W.Widget:
        badge = " <b>nouveau</b>" if new else ""
        file = f" — fichier : {_e(change.file_path)}" if change.file_path else ""
        text = W.HTML(
            f"<div class='wb-client-change'>n° {change.id} · {_e(fr_date(change.created_at))} · "
            f"{_e(change.kind.label)}{badge}<br>{_e(change.text)}{file}"
            f"<br><span class='wb-muted'>{_e(change.review.label)}</span></div>")
        if change.review != Review.PENDING:
            return text
        note = W.Text(placeholder="Note pour le client (facultative)", layout=W.Layout(width="50%"))
        accept = W.Button(description="Accepter", button_style="success")
        send_back = W.Button(description="Renvoyer", button_style="warning")

        def decide(decision: Review) -> None:
            try:
                review_change(self.store, self.client_id, change.id, decision, note.value.strip())
            except WorkbenchError as exc:
                self.message.value = f"<span class='wb-error'>{_e(exc.message)}</span>"
                return
            self.message.value = f"Modification n° {change.id} : {_e(decision.label.lower())}."
            self.refresh()

        accept.on_click(lambda _b: decide(Review.ACCEPTED))
        send_back.on_click(lambda _b: decide(Review.SENT_BACK))
        return W.VBox([text, W.HBox([note, accept, send_back])])


def attach(app: object) -> ClientChangesPanel | None:
    """Put the panel at the top of an :class:`InterviewApp` (after its style sheet)."""
    model = app.model  # type: ignore[attr-defined]
    if not isinstance(model.store, SQLiteStore):
        return None
    panel = ClientChangesPanel(model.store, model.client.id)
    root = app.widget  # type: ignore[attr-defined]
    root.children = (*root.children[:1], panel.widget, *root.children[1:])
    app.client_changes = panel  # type: ignore[attr-defined]
    return panel
