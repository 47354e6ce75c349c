"""The client space's pages: whole French HTML documents, every stored or typed text escaped.

No script anywhere (the server's Content-Security-Policy forbids them): buttons are plain forms
posted to the server, each carrying the anti-forgery field Tornado checks.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from workbench.apps.dashboard.data import ActionRow, DashboardData
from workbench.apps.dashboard.render import (
    STATUS_COLORS,
    _css,
    calendar_section,
    gaps_section,
    mission_section,
    projection_section,
    readiness_section,
)
from workbench.core.dates import fr_date
from workbench.core.vocab import ActionStatus
from workbench.domain.client_space import (
    MAX_TEXT,
    MAX_UPLOAD_BYTES,
    allowed_types_text,
)
from workbench.reports.content import chart_by_criterion
from workbench.store.client_space import ClientChange

TITLE = "Espace client Qualiopi"

BASE_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 0; background: #f6f7f9; color: #222; }
.wb-top { background: #1f4e79; color: #fff; padding: 10px 20px; display: flex; align-items: center;
          justify-content: space-between; }
.wb-top form { margin: 0; }
.wb-main { max-width: 1100px; margin: 0 auto; padding: 16px 20px 40px; background: #fff; }
.wb-card { max-width: 460px; margin: 60px auto; background: #fff; border: 1px solid #d6dbe1;
           border-radius: 8px; padding: 24px 28px; }
.wb-card h1 { font-size: 22px; color: #1f4e79; margin-top: 0; }
.wb-error { border-left: 4px solid #b00020; background: #fdecee; padding: 8px 12px; margin: 10px 0; }
.wb-ok { border-left: 4px solid #2e7d32; background: #edf7ee; padding: 8px 12px; margin: 10px 0; }
.wb-note { color: #555; font-size: 13px; }
input[type=text], input[type=password], textarea, select { width: 100%; box-sizing: border-box; padding: 6px;
  font-size: 15px; margin: 4px 0 10px; }
button { background: #1f4e79; color: #fff; border: 0; border-radius: 4px; padding: 6px 14px; font-size: 14px;
         cursor: pointer; }
button.wb-light { background: #e6e9ee; color: #222; }
details { margin: 4px 0; }
.wb-inline { display: inline; }
"""


def e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def document(title: str, body: str, *, extra_css: str = "") -> str:
    return (
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<meta name=\"robots\" content=\"noindex, nofollow\"><title>{e(title)}</title>"
        f"<style>{BASE_CSS}</style>{extra_css}</head><body>{body}</body></html>"
    )


def sign_in_page(xsrf_field: str, *, message: str = "", notice: str = "") -> str:
    """The sign-in form; ``message`` is an error, ``notice`` an information (session ended...)."""
    error = f'<div class="wb-error" role="alert">{e(message)}</div>' if message else ""
    info = f'<div class="wb-ok" role="status">{e(notice)}</div>' if notice else ""
    body = (
        '<div class="wb-card wb-signin"><h1>Espace client Qualiopi</h1>'
        f"{error}{info}"
        "<p>Saisissez le code d'accès personnel que votre consultant vous a remis.</p>"
        '<form method="post" action="/connexion" autocomplete="off">'
        f"{xsrf_field}"
        '<label for="code">Code d\'accès</label>'
        '<input id="code" name="code" type="password" autocomplete="off" spellcheck="false" '
        'placeholder="XXXXX-XXXXX-XXXXX-XXXXX" required>'
        '<button type="submit">Se connecter</button></form>'
        "<p class=\"wb-note\">Ce code est personnel : ne le communiquez à personne. Votre session se ferme "
        "après une période d'inactivité. En cas de perte, demandez un nouveau code à votre consultant.</p>"
        "</div>"
    )
    return document(f"Connexion — {TITLE}", body)


def message_page(title: str, message: str, *, link: bool = True) -> str:
    """A French error or information page (never a technical detail)."""
    back = '<p><a href="/">Retour à l\'espace client</a></p>' if link else ""
    body = (f'<div class="wb-card wb-message"><h1>{e(title)}</h1><div class="wb-error" role="alert">{e(message)}</div>'
            f"{back}</div>")
    return document(f"{title} — {TITLE}", body)


@dataclass(frozen=True)
class TaskRow:
    """A recurring task as the client sees it (from the lifecycle plan, when there is one)."""

    key: str
    title: str
    due: dt.date | None
    overdue: bool
    can_mark: bool
    """False for a task of a plan your consultant has not set up yet (shown, not markable)."""


@dataclass(frozen=True)
class SpaceView:
    data: DashboardData
    indicators: Sequence[tuple[str, str]]
    """(indicator id, « 12. Titre ») the client may attach evidence to."""
    changes: Sequence[ClientChange]
    tasks: Sequence[TaskRow] | None
    """None when the workspace has no plan of recurring tasks for this client."""
    flash: str = ""
    flash_error: bool = False


def _button_form(action: str, xsrf_field: str, label: str, css: str = "") -> str:
    return (f'<form method="post" action="{e(action)}" class="wb-inline">{xsrf_field}'
            f'<button type="submit" class="{css}">{e(label)}</button></form>')


def _comment_form(xsrf_field: str, target: str, label: str = "Commenter") -> str:
    return (
        f"<details><summary>{e(label)}</summary>"
        f'<form method="post" action="/commentaires">{xsrf_field}'
        f'<input type="hidden" name="cible" value="{e(target)}">'
        f'<textarea name="texte" rows="3" maxlength="{MAX_TEXT}" required></textarea>'
        '<button type="submit">Envoyer le commentaire</button></form></details>'
    )


def _badge(label: str, color: str) -> str:
    return f'<span class="wb-badge" style="background:{color}">{e(label)}</span>'


def _action_row(a: ActionRow, xsrf_field: str) -> str:
    due = e(fr_date(a.due_date))
    if a.overdue:
        due = f"<span class='wb-overdue'>{due} (en retard)</span>"
    detail = f"<br><span class='wb-dash-muted'>{e(a.detail)}</span>" if a.detail else ""
    controls = ""
    if a.id is not None:
        if a.status in (ActionStatus.A_FAIRE, ActionStatus.EN_COURS):
            controls += _button_form(f"/actions/{a.id}/fait", xsrf_field, "Marquer comme fait")
        controls += _comment_form(xsrf_field, f"action:{a.id}")
    return (f"<tr class='wb-action' data-action='{e(a.id)}'><td class='wb-num'>{e(a.indicator or '—')}</td>"
            f"<td><b>{e(a.title)}</b>{detail}</td><td>{e(a.owner or '—')}</td><td>{due}</td>"
            f"<td>{_badge(a.status.label, STATUS_COLORS[a.status])}</td><td>{controls}</td></tr>")


def plan_section(view: SpaceView, xsrf_field: str) -> str:
    data = view.data
    p = data.progress
    if not data.actions:
        body = "<p>Aucune action enregistrée pour cette mission.</p>"
    else:
        body = (
            f'<p class="wb-dash-progress"><b>{p.done} / {p.total}</b> action(s) réalisée(s), '
            f"{p.in_progress} en cours, {p.overdue} en retard.</p>"
            '<table class="wb-dash-plan"><thead><tr><th class="wb-num">Ind.</th><th>Action</th><th>Responsable</th>'
            "<th>Échéance</th><th>Statut</th><th></th></tr></thead><tbody>"
            + "".join(_action_row(a, xsrf_field) for a in data.actions) + "</tbody></table>"
            "<p class='wb-dash-muted'>Quand vous marquez une action comme faite, votre consultant en est informé "
            "et la valide ou vous la renvoie avec une explication.</p>"
        )
    return f'<section class="wb-dash-plan-section"><h2>Votre plan d\'actions</h2>{body}</section>'


def tasks_section(view: SpaceView, xsrf_field: str) -> str:
    if view.tasks is None:
        return ""
    if not view.tasks:
        body = "<p>Aucune tâche récurrente planifiée.</p>"
    else:
        rows = []
        for t in view.tasks:
            due = e(fr_date(t.due))
            if t.overdue:
                due = f"<span class='wb-overdue'>{due} (en retard)</span>"
            control = (_button_form(f"/taches/{t.key}/fait", xsrf_field, "Marquer comme faite") if t.can_mark
                       else "<span class='wb-dash-muted'>plan à établir avec votre consultant</span>")
            rows.append(f"<tr class='wb-task'><td>{e(t.title)}</td><td>{due}</td><td>{control}</td></tr>")
        body = ("<table class='wb-tasks'><thead><tr><th>Tâche</th><th>Prochaine échéance</th><th></th></tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>"
                "<p class='wb-dash-muted'>Une tâche marquée faite compte pour aujourd'hui ; votre consultant la "
                "valide ou vous la renvoie.</p>")
    return f'<section class="wb-tasks-section"><h2>Vos tâches qualité récurrentes</h2>{body}</section>'


def evidence_section(view: SpaceView, xsrf_field: str) -> str:
    options = "".join(f'<option value="{e(i)}">{e(label)}</option>' for i, label in view.indicators)
    return (
        '<section class="wb-evidence-section"><h2>Ajouter une preuve</h2>'
        '<form method="post" action="/preuves" enctype="multipart/form-data">'
        f"{xsrf_field}"
        '<label for="indicateur">Indicateur concerné</label>'
        f'<select id="indicateur" name="indicateur" required>{options}</select>'
        '<label for="libelle">Description de la preuve</label>'
        f'<input id="libelle" name="libelle" type="text" maxlength="{MAX_TEXT}" required '
        'placeholder="ex. : questionnaire de satisfaction à chaud, session de mars">'
        '<label for="fichier">Fichier (facultatif)</label>'
        '<input id="fichier" name="fichier" type="file">'
        f"<p class='wb-note'>Types acceptés : {e(allowed_types_text())} ; "
        f"{MAX_UPLOAD_BYTES // 1_048_576} Mo au plus.</p>"
        '<button type="submit">Ajouter la preuve</button></form>'
        "<h2>Écrire à votre consultant</h2>"
        f'<form method="post" action="/commentaires">{xsrf_field}<input type="hidden" name="cible" value="">'
        f'<textarea name="texte" rows="3" maxlength="{MAX_TEXT}" required></textarea>'
        '<button type="submit">Envoyer</button></form></section>'
    )


def _change_row(c: ClientChange) -> str:
    what = e(c.text) if c.text else "—"
    if c.file_name:
        what += f' — <a href="/fichiers/{c.id}">{e(c.file_name)}</a>'
    note = f"<br><span class='wb-dash-muted'>{e(c.review_note)}</span>" if c.review_note else ""
    return (f"<tr class='wb-change'><td>{e(fr_date(c.created_at))}</td><td>{e(c.kind.label)}</td><td>{what}</td>"
            f"<td>{e(c.review.label)}{note}</td></tr>")


def changes_section(view: SpaceView) -> str:
    if not view.changes:
        body = "<p>Vous n'avez encore rien ajouté ni modifié depuis cet espace.</p>"
    else:
        body = ("<table class='wb-changes'><thead><tr><th>Date</th><th>Quoi</th><th>Détail</th>"
                "<th>Suite donnée</th></tr></thead><tbody>"
                + "".join(_change_row(c) for c in reversed(view.changes)) + "</tbody></table>")
    return f'<section class="wb-changes-section"><h2>Vos contributions</h2>{body}</section>'


def chart_key(data: DashboardData) -> tuple:
    """What the readiness chart depends on (the same key gives the same chart)."""
    return tuple((r.number, r.short_title, r.counts) for r in data.criteria)


def render_chart(key: tuple) -> str:
    """The readiness chart (inline SVG) for a :func:`chart_key`; '' when nothing was audited."""
    if not any(counts.audited for _, _, counts in key):
        return ""
    return chart_by_criterion({n: c for n, _, c in key}, {n: t for n, t, _ in key})


def space_page(view: SpaceView, xsrf_field: str, chart: str = "") -> str:
    """The client's whole page; ``chart`` is the readiness chart rendered beforehand (it is slow,
    so the server renders it once per distinct set of figures, off the request loop)."""
    data = view.data
    flash = ""
    if view.flash:
        flash = f'<div class="{"wb-error" if view.flash_error else "wb-ok"}" role="status">{e(view.flash)}</div>'
    top = (
        f'<div class="wb-top"><span>{e(data.branding.firm)} — espace client</span>'
        f'<form method="post" action="/deconnexion">{xsrf_field}'
        '<button type="submit" class="wb-light">Se déconnecter</button></form></div>'
    )
    head = (f'<header><h1 class="wb-dash-client">{e(data.client_name)}</h1>'
            f"<div class='wb-dash-muted'>Votre démarche Qualiopi · données au {e(fr_date(data.today))}</div></header>")
    body = (
        f'{top}<main class="wb-main"><div class="wb-dash wb-dash-root">{flash}{head}'
        f"{mission_section(data)}{readiness_section(data, chart=False)}"
        + (f'<div class="wb-dash-chart">{chart}</div>' if chart else "")
        + f"{projection_section(data)}"
        f"{plan_section(view, xsrf_field)}{tasks_section(view, xsrf_field)}{gaps_section(data)}"
        f"{evidence_section(view, xsrf_field)}{changes_section(view)}{calendar_section(data)}"
        "<footer class='wb-dash-muted'><p>Les constats et niveaux de conformité sont ceux établis par votre "
        "consultant ; vos ajouts lui sont transmis et ne les modifient pas.</p></footer></div></main>"
    )
    return document(f"{data.client_name} — {TITLE}", body, extra_css=_css(data))

