"""ipywidgets front end of the interview. Widgets only bind state: every change calls the model.

The app builds a header (client, mission, version, audit date, progress), a navigation bar with
filters, and one indicator card rebuilt when the consultant moves. Every change is saved at
once; free-text fields are saved after a short pause in typing (and immediately when no event
loop runs, e.g. in tests), and any pending text is flushed before moving or saving anything else.
Nothing is displayed by the constructor: the notebook displays ``app`` (or ``app.widget``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from workbench.apps.interview.deliverable import DeliverablePanel
from workbench.apps.interview.model import AnswerConflict, Entry, InterviewModel
from workbench.core.dates import fr_date
from workbench.core.errors import WorkbenchError
from workbench.core.filetypes import ALLOWED
from workbench.core.vocab import QuestionKind, Role, Verdict
from workbench.referential.grids import Question

ACCEPT = ",".join(ext for _, exts in ALLOWED.values() for ext in exts)
TEXT_DELAY = 0.5
"""Seconds of pause in typing before a free-text field is saved."""

_NONE = ""
_FULL = W.Layout(width="100%")
_CSS = """
<style>
.wb-app { max-width: 1100px; font-size: 14px; }
.wb-app h2 { margin: 4px 0; }
.wb-muted { color: #555; }
.wb-badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
            margin-right: 6px; background: #e8eef5; color: #1f4e79; }
.wb-badge.wb-na { background: #f3e5d8; color: #8a4b0f; }
.wb-badge.wb-major { background: #fbe3e3; color: #8b1a1a; }
.wb-box { border-left: 4px solid #1f4e79; background: #f5f8fb; padding: 6px 10px; margin: 6px 0; }
.wb-box.wb-ne { border-color: #c55a11; background: #fdf4ec; }
.wb-box.wb-na { border-color: #8a4b0f; background: #fbf1e6; }
.wb-q { margin-top: 8px; font-weight: 600; }
.wb-roles { font-size: 12px; color: #555; font-weight: normal; }
.wb-crit td { padding: 0 8px 0 0; font-size: 12px; }
.wb-status-ok { color: #1d6b2f; }
.wb-status-err { color: #b00020; font-weight: 600; }
/* The saved state stays in sight while typing far down the card. Voilà's scrolling panel uses
   `contain: strict`, which would pin a fixed element to the panel's content instead of the window. */
.lm-BoxPanel-child:has(.wb-app) { contain: none !important; }
.wb-status { position: fixed; bottom: 12px; right: 16px; z-index: 1000; background: #fff;
             border: 1px solid #c8d3df; border-radius: 6px; padding: 4px 10px; max-width: 46vw;
             box-shadow: 0 1px 4px rgba(0,0,0,.15); }
.wb-inline { font-size: 13px; min-height: 0; }
.wb-conflict { border-left: 4px solid #b00020; background: #fdecee; padding: 6px 10px; margin: 6px 0; }
</style>
"""


def _e(text: object) -> str:
    return html.escape(str(text))


class _TextSaver:
    """Save a text field after a pause in typing; the target indicator is fixed at creation."""

    def __init__(self, save: Callable[[str], None], delay: float = TEXT_DELAY) -> None:
        self._save = save
        self._delay = delay
        self._pending: str | None = None
        self._handle: asyncio.TimerHandle | None = None

    def __call__(self, value: str) -> None:
        self._pending = value
        if self._delay <= 0:
            self.flush()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if self._handle is not None:
            self._handle.cancel()
        self._handle = loop.call_later(self._delay, self.flush)

    def flush(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._pending is not None:
            value, self._pending = self._pending, None
            self._save(value)


class InterviewApp:
    """The interview screen. ``widget`` is the root; display the app itself in a notebook."""

    def __init__(self, model: InterviewModel, *, text_delay: float = TEXT_DELAY) -> None:
        """``text_delay``: pause in typing (seconds) before a text field is saved; 0 saves each change."""
        self.model = model
        self.text_delay = text_delay
        self._syncing = False
        self._savers: list[_TextSaver] = []
        self.status = W.HTML(value="<span class='wb-muted'>Aucune modification pour l'instant.</span>")
        self.status.add_class("wb-status")
        self._build_header()
        self._build_nav()
        self.card = W.VBox(layout=_FULL)
        self.card.add_class("wb-card")
        self.deliverable = DeliverablePanel(model.workspace, model.mission.id)
        self.widget = W.VBox(
            [W.HTML(_CSS), self.header, self.nav, self.card, self.deliverable.root],
            layout=W.Layout(width="100%", padding="4px"),
        )
        self.widget.add_class("wb-app")
        self._render_card()

    # -- display -------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- saving helpers ------------------------------------------------------------------
    def _run(self, action: Callable[[], Any], *, on_error: Callable[[], None] | None = None,
             inline: W.HTML | None = None) -> bool:
        """Call the model; show the saved time or the French error, in the status chip that stays
        in sight and next to the control (``inline``). Returns True on success."""
        try:
            action()
        except AnswerConflict as exc:
            self._show_error(exc.message, inline)
            self._show_conflict(exc)
            if on_error is not None:
                self._quietly(on_error)
            return False
        except WorkbenchError as exc:
            self._show_error(exc.message, inline)
            if on_error is not None:
                self._quietly(on_error)
            return False
        except Exception as exc:  # noqa: BLE001 - the consultant must see that nothing was saved
            self._show_error(f"Enregistrement impossible ({type(exc).__name__} : {exc}).", inline)
            if on_error is not None:
                self._quietly(on_error)
            return False
        at = self.model.last_saved_at or dt.datetime.now()
        self.status.value = f"<span class='wb-status-ok'>✔ Enregistré à {at:%H:%M:%S}</span>"
        if inline is not None:
            inline.value = f"<span class='wb-status-ok'>✔ Enregistré à {at:%H:%M:%S}</span>"
        self._refresh_progress()
        return True

    def _show_error(self, message: str, inline: W.HTML | None = None) -> None:
        text = f"<span class='wb-status-err'>✖ Non enregistré : {_e(message)}</span>"
        self.status.value = text
        if inline is not None:
            inline.value = text

    @staticmethod
    def _inline(name: str) -> W.HTML:
        w = W.HTML(layout=W.Layout(width="100%"))
        w.add_class("wb-inline")
        w.add_class(f"wb-inline-{name}")
        return w

    def _show_conflict(self, conflict: AnswerConflict) -> None:
        """A panel at the top of the card: both values, and a choice; nothing is lost either way."""
        def shown(value: Any) -> str:
            if isinstance(value, Verdict):
                return value.label
            if value in (None, ""):
                return "(vide)"
            try:
                return Verdict(value).label
            except ValueError:
                return str(value)

        keep = W.Button(description="Garder ma valeur", button_style="danger")
        take = W.Button(description="Reprendre la valeur enregistrée", button_style="info")
        keep.add_class("wb-conflict-keep")
        take.add_class("wb-conflict-take")
        panel = W.VBox([
            W.HTML(f"<b>{_e(conflict.message)}</b><br>Valeur enregistrée ailleurs : « {_e(shown(conflict.theirs))} »"
                   f"<br>Votre valeur : « {_e(shown(conflict.mine))} »<br><span class='wb-muted'>L'historique de "
                   "la mission garde les deux valeurs quel que soit votre choix.</span>"),
            W.HBox([keep, take]),
        ], layout=_FULL)
        panel.add_class("wb-conflict")

        def settle(keep_mine: bool) -> None:
            if self._run(lambda: self.model.resolve_conflict(keep_mine=keep_mine)):
                self._render_card()

        keep.on_click(lambda _b: settle(True))
        take.on_click(lambda _b: settle(False))
        self.card.children = (panel, *[c for c in self.card.children if "wb-conflict" not in c._dom_classes])

    def _quietly(self, fn: Callable[[], None]) -> None:
        self._syncing = True
        try:
            fn()
        finally:
            self._syncing = False

    def flush(self) -> None:
        """Save any text still waiting for the typing pause."""
        for saver in self._savers:
            saver.flush()

    def _text_saver(self, save: Callable[[str], None], *, inline: W.HTML | None = None) -> _TextSaver:
        saver = _TextSaver(lambda value: self._run(lambda: save(value), inline=inline), self.text_delay)
        self._savers.append(saver)
        return saver

    # -- header --------------------------------------------------------------------------
    def _build_header(self) -> None:
        m = self.model
        mission = m.mission
        ref = m.referential
        status = f" — {ref.status.label}" if ref.status.value != "definitive" else ""
        title = mission.label or mission.type.label
        self.header_info = W.HTML(
            f"<h2>Entretien — {_e(m.client.name)}</h2>"
            f"<div class='wb-muted'>Client : <b>{_e(m.client.id)}</b> · Mission : <b>{_e(mission.id)}</b> "
            f"({_e(title)}, {_e(mission.audit_type.label.lower())}) · Date d'audit : "
            f"<b>{fr_date(mission.audit_date)}</b></div>"
            f"<div class='wb-muted'>Référentiel : <b>{_e(ref.title)} — {_e(ref.version)}</b>{_e(status)}"
            f" · Grille : {_e(m.grid.title)}</div>"
        )
        self.progress_bar = W.IntProgress(min=0, max=1, value=0, layout=W.Layout(width="260px"))
        self.progress_label = W.HTML()
        self.progress_label.add_class("wb-progress")
        self.criteria_progress = W.HTML()
        self.header = W.VBox([
            self.header_info,
            W.HBox([self.progress_bar, self.progress_label, self.status],
                   layout=W.Layout(align_items="center", flex_flow="row wrap")),
            self.criteria_progress,
        ])
        self._refresh_progress()

    def _refresh_progress(self) -> None:
        p = self.model.progress()
        self.progress_bar.max = max(p.applicable, 1)
        self.progress_bar.value = p.evaluated
        self.progress_label.value = f"&nbsp;<b>{p.evaluated} / {p.applicable}</b> indicateurs applicables évalués&nbsp;&nbsp;"
        cells = "".join(
            f"<td title='{_e(self.model.referential.criterion(c).title)}'>Critère {c} : {ev}/{ap}</td>"
            for c, (ev, ap) in p.per_criterion.items()
        )
        self.criteria_progress.value = f"<table class='wb-crit'><tr>{cells}</tr></table>"

    # -- navigation ----------------------------------------------------------------------
    def _build_nav(self) -> None:
        m = self.model
        self.prev_button = W.Button(description="◀ Précédent", tooltip="Indicateur précédent")
        self.next_button = W.Button(description="Suivant ▶", tooltip="Indicateur suivant")
        self.prev_button.add_class("wb-prev")
        self.next_button.add_class("wb-next")
        self.jump = W.Dropdown(
            options=self._jump_options(), value=m.current.number, description="Aller à",
            layout=W.Layout(width="460px"),
        )
        self.jump.add_class("wb-jump")
        self.criterion = W.Dropdown(
            options=[("Critère…", 0)] + [(f"Critère {c.number} — {c.short_title}", c.number) for c in m.criteria()],
            value=0, layout=W.Layout(width="300px"),
        )
        self.criterion.add_class("wb-criterion")
        self.only_unevaluated = W.Checkbox(value=False, description="Non évalués seulement", indent=False)
        self.only_nc = W.Checkbox(value=False, description="En NC seulement", indent=False)
        self.show_na = W.Checkbox(value=False, description="Montrer les non applicables", indent=False)
        self.show_na.add_class("wb-filter-na")
        self.role_filter = W.Dropdown(
            options=[("Tous les interlocuteurs", _NONE)] + [(r.label, r.value) for r in Role],
            value=_NONE, description="Interlocuteur", style={"description_width": "initial"},
            layout=W.Layout(width="340px"),
        )
        self.only_unevaluated.add_class("wb-filter-unevaluated")
        self.only_nc.add_class("wb-filter-nc")
        self.role_filter.add_class("wb-filter-role")
        self.position_label = W.HTML()

        self.prev_button.on_click(lambda _b: self._navigate(self.model.go_prev))
        self.next_button.on_click(lambda _b: self._navigate(self.model.go_next))
        self.jump.observe(self._on_jump, names="value")
        self.criterion.observe(self._on_criterion, names="value")
        for w in (self.only_unevaluated, self.only_nc, self.show_na, self.role_filter):
            w.observe(self._on_filter, names="value")
        self.nav = W.VBox([
            W.HBox([self.prev_button, self.next_button, self.jump, self.criterion],
                   layout=W.Layout(flex_flow="row wrap", align_items="center")),
            W.HBox([self.only_unevaluated, self.only_nc, self.show_na, self.role_filter, self.position_label],
                   layout=W.Layout(flex_flow="row wrap", align_items="center")),
        ])

    def _navigate(self, move: Callable[[], Any]) -> None:
        self.flush()
        try:
            move()
        except WorkbenchError as exc:
            self._show_error(exc.message)
            return
        self._render_card()

    def _on_jump(self, change: dict) -> None:
        if self._syncing or change["new"] is None:
            return
        self._navigate(lambda: self.model.jump(int(change["new"])))

    def _on_criterion(self, change: dict) -> None:
        if self._syncing or not change["new"]:
            return
        self._navigate(lambda: self.model.jump_criterion(int(change["new"])))
        self._quietly(lambda: setattr(self.criterion, "value", 0))

    def _on_filter(self, _change: dict) -> None:
        if self._syncing:
            return
        self.flush()
        self.model.set_filters(
            only_unevaluated=self.only_unevaluated.value,
            only_nc=self.only_nc.value,
            role=self.role_filter.value or None,
            show_not_applicable=self.show_na.value,
        )
        self._render_card()

    MARKS = {Verdict.CONFORME: "✔", Verdict.NC_MINEURE: "▲", Verdict.NC_MAJEURE: "✖",
             Verdict.NON_APPLICABLE: "∅", Verdict.NON_EVALUE: "○"}

    def _jump_options(self) -> list[tuple[str, int]]:
        """The indicators the filters let through, each with its status mark."""
        m = self.model
        out = []
        shown = m.visible()
        if m.current not in shown:  # the screen stays on it until the consultant moves
            shown = sorted([*shown, m.current], key=lambda e: m.entries.index(e))
        for e in shown:
            verdict = m.verdict(e.id)
            mark = "∅" if not e.applicable and verdict == Verdict.NON_EVALUE else self.MARKS[verdict]
            out.append((f"{mark} {e.number}. {e.indicator.title}", e.number))
        return out

    def _sync_nav(self) -> None:
        m = self.model
        shown = m.visible()
        options = self._jump_options()

        def refresh_jump() -> None:
            if list(self.jump.options) != options:
                self.jump.options = options
            self.jump.value = m.current.number

        self._quietly(refresh_jump)
        self.prev_button.disabled = not m.has_prev()
        self.next_button.disabled = not m.has_next()
        filtered = m.only_unevaluated or m.only_nc or m.role is not None
        rank = m.position + 1
        where = f"Indicateur {m.current.number} ({rank}{'er' if rank == 1 else 'e'} sur {len(m.entries)})"
        if filtered:
            where += f" · {len(shown)} indicateur(s) correspondent aux filtres"
            if not shown:
                where += " — aucun : modifiez les filtres"
        self.position_label.value = f"<span class='wb-muted'>&nbsp;{_e(where)}</span>"

    # -- indicator card ------------------------------------------------------------------
    def _render_card(self) -> None:
        self._savers = []
        self._sync_nav()
        entry = self.model.current
        answer = self.model.reload()  # what another tab saved meanwhile shows when moving
        parts: list[W.Widget] = [self._card_heading(entry)]
        parts += self._questions(entry, answer.responses)
        parts.append(self._checklist(entry, answer.checklist))
        parts.append(self._evidence_box(entry))
        parts.append(self._verdict_box(entry, answer))
        self.card.children = parts

    def _card_heading(self, entry: Entry) -> W.HTML:
        ind = entry.indicator
        crit = self.model.referential.criterion(ind.criterion)
        badges = [f"<span class='wb-badge'>Critère {crit.number} — {_e(crit.short_title)}</span>"]
        grading = ind.nc.grading
        cls = "wb-badge wb-major" if entry.major_only else "wb-badge"
        badges.append(f"<span class='{cls}'>{_e(grading.label)}</span>")
        if not entry.applicable:
            badges.append("<span class='wb-badge wb-na'>Non applicable au périmètre</span>")
        source = self.model.source_label(entry)
        if source:
            badges.append(f"<span class='wb-badge'>{_e(source)}</span>")
        out = [
            f"<h3 class='wb-title'>Indicateur {ind.number} — {_e(ind.title)}</h3>",
            "".join(badges),
        ]
        if not entry.applicable:
            out.append(f"<div class='wb-box wb-na'><b>Non applicable :</b> {_e(entry.reason)}. "
                       "L'indicateur reste affiché ; confirmez-le avec le verdict « Non applicable ».</div>")
        out.append(f"<div class='wb-box'><b>Niveau attendu :</b> {_e(ind.expected_level)}</div>")
        if entry.new_entrant:
            ne = ind.new_entrant
            out.append(
                "<div class='wb-box wb-ne'><b>Nouvel entrant</b><br>"
                f"À montrer dès maintenant : {_e(ne.at_initial or 'rien de spécifique')}<br>"
                f"Attendu à l'audit de surveillance : {_e(ne.deferred or 'rien de différé')}</div>"
            )
        if entry.item.entry.note:
            out.append(f"<div class='wb-muted'>{_e(entry.item.entry.note)}</div>")
        return W.HTML("".join(out), layout=_FULL)

    def _questions(self, entry: Entry, responses: dict[str, Any]) -> list[W.Widget]:
        out: list[W.Widget] = [W.HTML("<h4>Questions</h4>")]
        for q in entry.questions:
            roles = ", ".join(r.label for r in q.roles)
            help_html = f"<div class='wb-muted'>{_e(q.help)}</div>" if q.help else ""
            label = W.HTML(f"<div class='wb-q'>{_e(q.text)} <span class='wb-roles'>({_e(roles)})</span></div>{help_html}")
            widget = self._question_widget(entry, q, responses.get(q.id))
            widget.add_class(f"wb-question-{q.id}")
            out.append(W.VBox([label, widget], layout=_FULL))
        return out

    def _question_widget(self, entry: Entry, q: Question, current: Any) -> W.Widget:
        ind_id = entry.id

        def save(value: Any) -> Callable[[], Any]:
            return lambda: self.model.set_response(q.id, value, indicator_id=ind_id)

        if q.kind == QuestionKind.YES_NO:
            value = {True: "oui", False: "non"}.get(current, _NONE)
            w = W.Dropdown(options=[("—", _NONE), ("Oui", "oui"), ("Non", "non")], value=value,
                           layout=W.Layout(width="160px"))
            w.observe(lambda c: self._changed(save({"oui": True, "non": False}.get(c["new"]))), names="value")
            return w
        if q.kind == QuestionKind.SINGLE_CHOICE:
            opts = [("—", _NONE)] + [(c, c) for c in q.choices]
            w = W.Dropdown(options=opts, value=current if current in q.choices else _NONE,
                           layout=W.Layout(width="480px"))
            w.observe(lambda c: self._changed(save(c["new"] or None)), names="value")
            return w
        if q.kind == QuestionKind.MULTIPLE_CHOICE:
            chosen = set(current or [])
            boxes = [W.Checkbox(value=c in chosen, description=c, indent=False,
                                layout=W.Layout(width="auto", margin="0 16px 0 0")) for c in q.choices]

            def on_box(_c: dict) -> None:
                self._changed(save([b.description for b in boxes if b.value]))

            for b in boxes:
                b.observe(on_box, names="value")
            return W.HBox(boxes, layout=W.Layout(flex_flow="row wrap"))
        if q.kind == QuestionKind.DATE:
            day = dt.date.fromisoformat(current) if isinstance(current, str) else None
            w = W.Text(value=day.strftime("%d/%m/%Y") if day else "", placeholder="JJ/MM/AAAA",
                       continuous_update=False, layout=W.Layout(width="160px"))
            w.add_class("wb-date")
            msg = self._inline(f"date-{q.id}")
            w.observe(lambda c: None if self._syncing else (self.flush(), self._run(save(c["new"]), inline=msg)),
                      names="value")
            return W.HBox([w, msg], layout=W.Layout(align_items="center"))
        if q.kind == QuestionKind.NUMBER:
            shown = "" if current is None else str(current).replace(".", ",")
            w = W.Text(value=shown, placeholder="nombre", continuous_update=False, layout=W.Layout(width="160px"))
            w.observe(lambda c: self._changed(save(c["new"])), names="value")
            return w
        # free text
        w = W.Textarea(value=current or "", placeholder="Réponse…", continuous_update=True,
                       layout=W.Layout(width="100%", height="60px"))
        saver = self._text_saver(lambda v: self.model.set_response(q.id, v, indicator_id=ind_id))
        w.observe(lambda c: None if self._syncing else saver(c["new"]), names="value")
        return w

    def _changed(self, action: Callable[[], Any]) -> None:
        if self._syncing:
            return
        self.flush()
        self._run(action)

    def _checklist(self, entry: Entry, checklist: dict[str, bool]) -> W.Widget:
        ind_id = entry.id
        boxes = []
        for proof in entry.proofs:
            box = W.Checkbox(value=bool(checklist.get(proof)), description=proof, indent=False, layout=_FULL)

            def on_change(c: dict, proof: str = proof) -> None:
                self._changed(lambda: self.model.set_proof(proof, c["new"], indicator_id=ind_id))

            box.observe(on_change, names="value")
            boxes.append(box)
        box = W.VBox([W.HTML("<h4>Preuves à rechercher</h4>"), *boxes], layout=_FULL)
        box.add_class("wb-checklist")
        return box

    def _evidence_box(self, entry: Entry) -> W.Widget:
        ind_id = entry.id
        rows = []
        files = self.model.evidence_files(ind_id)
        for ev in self.model.evidence(ind_id):
            where = f" — {_e(ev.location)}" if ev.location else ""
            attached = files.get(ev.id) if ev.id is not None else None
            if attached:
                where += (f" — <span class='wb-file'>📎 {_e(attached.original_name)} "
                          f"({_e(attached.kind_label)}, {_e(attached.size_label)})</span>")
            when = f" — représente le {fr_date(ev.represents_date)}" if ev.represents_date else ""
            remove = W.Button(description="Retirer", button_style="", layout=W.Layout(width="90px"))
            remove.add_class("wb-evidence-remove")

            def on_remove(_b: W.Button, ev_id: int | None = ev.id) -> None:
                self.flush()
                if ev_id is not None and self._run(
                        lambda: self.model.remove_evidence(ev_id, indicator_id=ind_id)):
                    self._render_evidence(ind_id)

            remove.on_click(on_remove)
            rows.append(W.HBox([W.HTML(f"<b>{_e(ev.label)}</b>{where}{when}"), remove],
                               layout=W.Layout(align_items="center")))
        if not rows:
            rows.append(W.HTML("<span class='wb-muted'>Aucune preuve notée pour l'instant.</span>"))
        self.evidence_label = W.Text(placeholder="Intitulé (ex. : enquête à froid 2026)", layout=W.Layout(width="300px"))
        self.evidence_location = W.Text(placeholder="Où la trouver (dossier, lien…)", layout=W.Layout(width="300px"))
        self.evidence_date = W.Text(description="Date représentée", placeholder="JJ/MM/AAAA",
                                    style={"description_width": "initial"}, layout=W.Layout(width="260px"))
        self.evidence_date.add_class("wb-evidence-date")
        self.evidence_msg = self._inline("evidence")
        self.evidence_file = W.FileUpload(accept=ACCEPT, multiple=False, description="Joindre un fichier",
                                          layout=W.Layout(width="auto"))
        self.evidence_file.add_class("wb-evidence-file")
        self.evidence_add = W.Button(description="Ajouter la preuve", button_style="info")
        self.evidence_label.add_class("wb-evidence-label")
        self.evidence_location.add_class("wb-evidence-location")
        self.evidence_add.add_class("wb-evidence-add")

        def on_add(_b: W.Button) -> None:
            self.flush()
            label, loc, day = self.evidence_label.value, self.evidence_location.value, self.evidence_date.value
            uploaded = self.evidence_file.value
            file = (uploaded[0]["name"], bytes(uploaded[0]["content"])) if uploaded else None
            if self._run(lambda: self.model.add_evidence(label, loc, day, indicator_id=ind_id, file=file),
                         inline=self.evidence_msg):
                self._render_evidence(ind_id)

        self.evidence_add.on_click(on_add)
        self.evidence_container = W.VBox([
            W.HTML("<h4>Preuves relevées</h4>"), *rows,
            W.HBox([self.evidence_label, self.evidence_location, self.evidence_date, self.evidence_file,
                    self.evidence_add],
                   layout=W.Layout(flex_flow="row wrap", align_items="center")),
            self.evidence_msg,
        ], layout=_FULL)
        self.evidence_container.add_class("wb-evidence")
        return self.evidence_container

    def _render_evidence(self, ind_id: str) -> None:
        if self.model.current.id != ind_id:
            return
        children = list(self.card.children)
        idx = children.index(self.evidence_container)
        children[idx] = self._evidence_box(self.model.current)
        self.card.children = children

    def _verdict_box(self, entry: Entry, answer: Any) -> W.Widget:
        ind_id = entry.id
        options = [(v.label, v.value) for v in entry.allowed_verdicts]
        self.verdict = W.ToggleButtons(options=options, value=answer.verdict.value,
                                       style={"button_width": "auto"})
        self.verdict.add_class("wb-verdict")
        if entry.major_only:
            hint = "NC majeure uniquement : l'option « NC mineure » n'est pas proposée."
        else:
            hint = entry.indicator.nc.minor_when and f"NC mineure si : {entry.indicator.nc.minor_when}"
        # its own Layout: hiding it must not hide every widget sharing _FULL
        self.verdict_hint = W.HTML(f"<div class='wb-muted'>{_e(hint)}</div>" if hint else "",
                                   layout=W.Layout(width="100%"))
        self.verdict_hint.add_class("wb-verdict-hint")
        self.verdict_msg = self._inline("verdict")
        placeholder = "Justification de non-applicabilité (obligatoire pour « Non applicable »)"
        if not entry.applicable:
            placeholder = f"Motif proposé (repris si vous ne saisissez rien) : {entry.reason}"
        self.justification = W.Textarea(
            value=answer.na_justification, placeholder=placeholder,
            continuous_update=True, layout=W.Layout(width="100%", height="50px"),
        )
        self.justification.add_class("wb-justification")
        self.justification_msg = self._inline("justification")

        def show_for(verdict_value: str, *, need_justification: bool = False) -> None:
            """NC hints under NC verdicts only; the justification box for « Non applicable » (or when
            the indicator is out of scope, or when a justification was just asked for)."""
            nc = verdict_value in (Verdict.NC_MINEURE.value, Verdict.NC_MAJEURE.value)
            self.verdict_hint.layout.display = None if nc else "none"
            wants = (need_justification or not entry.applicable
                     or verdict_value == Verdict.NON_APPLICABLE.value)
            self.justification.layout.display = None if wants else "none"

        show_for(answer.verdict.value)
        self.finding = W.Textarea(value=answer.finding, continuous_update=True,
                                  placeholder="Constat rédigé pour le client (repris dans le rapport)…",
                                  layout=W.Layout(width="100%", height="90px"))
        self.finding.add_class("wb-finding")
        self.private_notes = W.Textarea(value=answer.private_notes, continuous_update=True,
                                        placeholder="Notes privées du consultant (jamais dans les livrables)…",
                                        layout=W.Layout(width="100%", height="90px"))
        self.private_notes.add_class("wb-private-notes")
        self.respondent = W.Combobox(
            value=answer.respondent or "", options=[r.label for r in Role], ensure_option=False,
            placeholder="Qui a répondu (rôle ou nom)", description="A répondu",
            style={"description_width": "initial"},
            continuous_update=False, layout=W.Layout(width="420px"),
        )
        self.respondent.add_class("wb-respondent")
        previous = {"value": answer.verdict.value}

        def on_verdict(c: dict) -> None:
            if self._syncing:
                return
            self.flush()
            new = c["new"]

            def revert() -> None:
                self.verdict.value = previous["value"]

            if self._run(lambda: self.model.set_verdict(new, indicator_id=ind_id), on_error=revert,
                         inline=self.verdict_msg):
                previous["value"] = new
                show_for(new)
                saved = self.model.answer(ind_id).na_justification
                if new == Verdict.NON_APPLICABLE.value and not self.justification.value.strip():
                    self._quietly(lambda: setattr(self.justification, "value", saved))
                self._sync_nav()
            elif new == Verdict.NON_APPLICABLE.value:
                show_for(previous["value"], need_justification=True)

        self.verdict.observe(on_verdict, names="value")
        finding_saver = self._text_saver(lambda v: self.model.set_finding(v, indicator_id=ind_id))
        self.finding.observe(lambda c: None if self._syncing else finding_saver(c["new"]), names="value")
        private_saver = self._text_saver(lambda v: self.model.set_private_notes(v, indicator_id=ind_id))
        self.private_notes.observe(lambda c: None if self._syncing else private_saver(c["new"]), names="value")
        just_saver = self._text_saver(lambda v: self.model.set_na_justification(v, indicator_id=ind_id),
                                      inline=self.justification_msg)
        self.justification.observe(lambda c: None if self._syncing else just_saver(c["new"]), names="value")
        self.respondent.observe(
            lambda c: self._changed(lambda: self.model.set_respondent(c["new"], indicator_id=ind_id)),
            names="value",
        )
        box = W.VBox([
            W.HTML("<h4>Verdict</h4>"), self.verdict, self.verdict_msg, self.verdict_hint,
            self.justification, self.justification_msg, self.respondent,
            W.HTML("<h4>Constat <span class='wb-muted'>(visible par le client)</span></h4>"), self.finding,
            W.HTML("<h4>Notes privées <span class='wb-muted'>(pour vous seul, jamais dans les livrables)"
                   "</span></h4>"), self.private_notes,
        ], layout=_FULL)
        box.add_class("wb-verdict-box")
        return box


def error_widget(message: str) -> W.HTML:
    """What the notebook shows instead of the app when it cannot open (bad client, mission…)."""
    w = W.HTML(
        "<div style='border-left:4px solid #b00020;padding:8px 12px;background:#fdecee'>"
        f"<b>Impossible d'ouvrir l'entretien.</b><br>{_e(message)}</div>"
    )
    w.add_class("wb-open-error")
    return w
