"""ipywidgets front end of the session-file review: pick a sampled file, then for each item its
status, the evidence seen and a note. Widgets only bind state: every change calls the model and
is saved at once (text fields when they lose focus or on Enter)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from workbench.apps.sessions.model import ReviewModel
from workbench.core.dates import fr_date
from workbench.core.errors import WorkbenchError
from workbench.domain.checklist import ReviewStatus
from workbench.domain.session_review import ItemLine

_CSS = """
<style>
.wb-review { max-width: 1100px; font-size: 14px; }
.wb-muted { color: #555; }
.wb-phase { margin: 10px 0 2px; color: #1f4e79; }
.wb-item { border-top: 1px solid #e3e3e3; padding: 4px 0; }
.wb-ok { color: #1d6b2f; }
.wb-err { color: #b00020; font-weight: 600; }
</style>
"""
STATUS_OPTIONS = [(s.label, s.value) for s in (ReviewStatus.PRESENT, ReviewStatus.MISSING,
                                               ReviewStatus.NOT_APPLICABLE, ReviewStatus.UNCHECKED)]


def _e(text: object) -> str:
    return html.escape(str(text))


class ReviewApp:
    """The review screen; ``widget`` is the root (display the app itself in a notebook)."""

    def __init__(self, model: ReviewModel) -> None:
        self.model = model
        self.status = W.HTML("<span class='wb-muted'>Aucune modification pour l'instant.</span>")
        self.status.add_class("wb-save-status")
        self.header = W.HTML()
        self.files = W.Dropdown(options=[(self._file_label(r), r) for r in model.references()],
                                value=model.current.session.reference, description="Dossier",
                                layout=W.Layout(width="640px"))
        self.files.add_class("wb-file-select")
        self.files.observe(self._on_file, names="value")
        self.card = W.VBox()
        self.card.add_class("wb-file-card")
        self.widget = W.VBox([W.HTML(_CSS), self.header, W.HBox([self.files, self.status]), self.card])
        self.widget.add_class("wb-review")
        self._refresh_header()
        self._render()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _file_label(self, reference: str) -> str:
        f = next(x for x in self.model.review.results.files if x.session.reference == reference)  # type: ignore[union-attr]
        state = "complet" if f.complete else ("vérifié, incomplet" if f.reviewed else f"{f.unchecked} à vérifier")
        return f"{f.session.label()} ({f.session.category.value}) — {state}"

    def _refresh_header(self) -> None:
        m = self.model
        reviewed, complete, total = m.progress()
        sample = m.review.sample
        assert sample is not None
        done = f" · revue terminée le {fr_date(m.review.completed_on)}" if m.review.completed_on else ""
        self.header.value = (
            f"<h2>Revue des dossiers — {_e(m.client_id)}</h2>"
            f"<div class='wb-muted'>Mission <b>{_e(m.mission.id)}</b> · échantillon de {sample.size} dossier(s), "
            f"graine {sample.seed} · <span class='wb-progress'>{reviewed} / {total} dossier(s) vérifié(s), "
            f"{complete} complet(s)</span>{_e(done)}</div>")

    def _on_file(self, change: dict) -> None:
        if change["new"] is None:
            return
        if self._run(lambda: self.model.open(change["new"]), saved=False):
            self._render()

    def _run(self, action: Callable[[], Any], *, saved: bool = True) -> bool:
        try:
            action()
        except WorkbenchError as exc:
            self.status.value = f"<span class='wb-err'>✖ Non enregistré : {_e(exc.message)}</span>"
            return False
        except Exception as exc:  # noqa: BLE001 - the consultant must see that nothing was saved
            self.status.value = f"<span class='wb-err'>✖ Non enregistré ({_e(type(exc).__name__)} : {_e(exc)})</span>"
            return False
        if saved:
            at = self.model.last_saved_at or dt.datetime.now()
            self.status.value = f"<span class='wb-ok'>✔ Enregistré à {at:%H:%M:%S}</span>"
            self._refresh_header()
            labels = [(self._file_label(r), r) for r in self.model.references()]
            if labels != list(self.files.options):
                current = self.files.value
                self.files.unobserve(self._on_file, names="value")
                self.files.options = labels
                self.files.value = current
                self.files.observe(self._on_file, names="value")
        return True

    def _render(self) -> None:
        f = self.model.current
        s = f.session
        when = fr_date(s.start) + (f" au {fr_date(s.end)}" if s.end and s.end != s.start else "")
        parts: list[W.Widget] = [W.HTML(
            f"<h3>{_e(s.label())}</h3><div class='wb-muted'>{_e(s.category.label)} · {when} · "
            f"{_e(s.site or 'site non précisé')} · {_e(', '.join(s.trainers) or 'formateur non précisé')} · "
            f"{_e(s.modality.label)}{' · certifiante' if s.certifying else ''}"
            f"{' · sous-traitée' if s.subcontracted else ''}</div>")]
        phase = None
        for line in f.lines:
            if line.item.phase != phase:
                phase = line.item.phase
                parts.append(W.HTML(f"<h4 class='wb-phase'>{_e(self.model.review.checklist.phase_label(phase))}</h4>"))
            parts.append(self._item(line))
        self.card.children = parts

    def _item(self, line: ItemLine) -> W.Widget:
        item = line.item
        inds = ", ".join(str(n) for n in item.indicators)
        label = W.HTML(f"<b>{_e(item.label)}</b> <span class='wb-muted'>"
                       f"({'indicateur(s) ' + inds if inds else 'sans indicateur propre'})</span>"
                       f"<div class='wb-muted'>{_e(item.help)}</div>")
        status = W.ToggleButtons(options=STATUS_OPTIONS, value=line.status.value, style={"button_width": "auto"})
        status.add_class(f"wb-status-{item.id}")
        evidence = W.Text(value=line.evidence, placeholder="Preuve vue (document, lieu, date)", continuous_update=False,
                          layout=W.Layout(width="48%"))
        evidence.add_class(f"wb-evidence-{item.id}")
        note = W.Text(value=line.note, placeholder="Remarque (visible du client)", continuous_update=False,
                      layout=W.Layout(width="48%"))
        note.add_class(f"wb-note-{item.id}")
        private = W.Text(value=self.model.private_note(item.id), placeholder="Note privée (consultant seulement)",
                         continuous_update=False, layout=W.Layout(width="97%"))
        private.add_class(f"wb-private-{item.id}")
        previous = {"value": line.status.value}

        def on_status(change: dict) -> None:
            if self._run(lambda: self.model.save(item.id, status=change["new"])):
                previous["value"] = change["new"]
            else:
                status.unobserve(on_status, names="value")
                status.value = previous["value"]
                status.observe(on_status, names="value")

        status.observe(on_status, names="value")
        evidence.observe(lambda c: self._run(lambda: self.model.save(item.id, evidence=c["new"])), names="value")
        note.observe(lambda c: self._run(lambda: self.model.save(item.id, note=c["new"])), names="value")
        private.observe(lambda c: self._run(lambda: self.model.save(item.id, private_note=c["new"])), names="value")
        box = W.VBox([label, status, W.HBox([evidence, note]), private])
        box.add_class("wb-item")
        return box


def error_widget(message: str) -> W.HTML:
    w = W.HTML("<div style='border-left:4px solid #b00020;padding:8px 12px;background:#fdecee'>"
               f"<b>Impossible d'ouvrir la revue des dossiers.</b><br>{_e(message)}</div>")
    w.add_class("wb-open-error")
    return w
