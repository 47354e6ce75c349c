"""HTML of the client dashboard: static, read-only, every stored text escaped.

Plain functions returning HTML fragments (no widget, nothing to click that could change data).
The page must work offline under the Voilà app's Content-Security-Policy: the chart is inline
SVG, the logo a data URI, the styles inline, no script and no remote resource.
"""

from __future__ import annotations

import html
from typing import Any

from workbench.apps.dashboard.data import ActionRow, DashboardData, GapRow
from workbench.apps.dashboard.lifecycle import lifecycle_section
from workbench.core.dates import fr_date, fr_date_long
from workbench.core.vocab import ActionStatus, Verdict
from workbench.domain.gaps import CONFORMITY_HELP, CONFORMITY_LABEL, READINESS_HELP, READINESS_LABEL, Counts
from workbench.reports.content import VERDICT_COLORS, chart_by_criterion, fr_percent
from workbench.reports.wording import PROVISIONAL_NOTE

PRIORITY_LABELS = {1: "NC majeure", 2: "NC mineure", 3: "Non évalué", 4: "Preuve à actualiser"}
STATUS_COLORS = {
    ActionStatus.A_FAIRE: "#6d6d6d",
    ActionStatus.EN_COURS: "#1565c0",
    ActionStatus.FAIT: "#2e7d32",
    ActionStatus.ABANDONNE: "#9e9e9e",
}
DISCLAIMER_TITLE = "Projection, pas une décision du certificateur"


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _css(data: DashboardData) -> str:
    primary, accent = data.branding.primary_color, data.branding.accent_color  # validated #RRGGBB
    return f"""<style>
.wb-dash {{ max-width: 1100px; margin: 0 auto; font-size: 14px; color: #222; line-height: 1.4; }}
.wb-dash h1 {{ font-size: 24px; margin: 4px 0; color: {primary}; }}
.wb-dash h2 {{ font-size: 18px; margin: 22px 0 8px; color: {primary};
              border-bottom: 2px solid {accent}; padding-bottom: 2px; }}
/* two classes: stronger than JupyterLab's output table rules (right-aligned cells, fixed layout) */
.wb-dash.wb-dash-root table {{ border-collapse: collapse; width: 100%; margin: 6px 0; table-layout: auto; }}
.wb-dash.wb-dash-root table th, .wb-dash.wb-dash-root table td {{
  border: 1px solid #d6dbe1; padding: 4px 6px; text-align: left; vertical-align: top; }}
.wb-dash.wb-dash-root table th {{ background: #f1f4f8; }}
.wb-dash.wb-dash-root table td.wb-num, .wb-dash.wb-dash-root table th.wb-num {{
  text-align: right; white-space: nowrap; width: 1%; }}
.wb-dash-head {{ display: flex; align-items: center; gap: 18px; }}
.wb-dash-head img {{ max-height: 64px; max-width: 240px; }}
.wb-dash-firm {{ color: #555; }}
.wb-dash-muted {{ color: #555; font-size: 12px; }}
.wb-dash-kpis {{ display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0; }}
.wb-dash-kpi {{ border: 1px solid #d6dbe1; border-radius: 6px; padding: 6px 12px; min-width: 120px; }}
.wb-dash-kpi b {{ display: block; font-size: 22px; color: {primary}; }}
.wb-badge {{ display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
            color: #fff; white-space: nowrap; }}
.wb-dash-outcome {{ border-left: 6px solid {primary}; background: #f5f8fb; padding: 8px 12px; }}
.wb-dash-outcome.wb-blocking {{ border-color: #c62828; background: #fdecee; }}
.wb-dash-disclaimer {{ border: 1px dashed #8a4b0f; background: #fdf4ec; padding: 6px 10px; margin-top: 8px; }}
.wb-dash-bar {{ background: #e6e9ee; border-radius: 4px; height: 14px; width: 100%; max-width: 420px; }}
.wb-dash-bar span {{ display: block; height: 14px; border-radius: 4px; background: #2e7d32; }}
.wb-dash-chart svg {{ max-width: 100%; height: auto; }}
.wb-overdue {{ color: #b00020; font-weight: 600; }}
</style>"""


def _badge(label: str, color: str) -> str:
    return f'<span class="wb-badge" style="background:{color}">{_e(label)}</span>'


def _verdict_badge(verdict: Verdict) -> str:
    return _badge(verdict.label, VERDICT_COLORS.get(verdict, "#9e9e9e"))


def header(data: DashboardData) -> str:
    b = data.branding
    logo = f'<img src="{_e(data.logo)}" alt="{_e(b.firm)}">' if data.logo else ""
    consultant = f" — {_e(b.consultant)}" if b.consultant else ""
    siret = f" · SIRET {_e(data.siret)}" if data.siret else ""
    return (
        f'<header class="wb-dash-head">{logo}<div>'
        f'<div class="wb-dash-firm">{_e(b.firm)}{consultant}</div>'
        f'<h1 class="wb-dash-client">{_e(data.client_name)}</h1>'
        f'<div class="wb-dash-muted">Tableau de bord qualité Qualiopi{siret} · consultation en lecture seule, '
        f"données au {_e(fr_date(data.today))}</div></div></header>"
    )


def mission_section(data: DashboardData) -> str:
    m = data.mission
    provisional = (f"<p class='wb-dash-muted wb-provisional'>{_e(PROVISIONAL_NOTE)}</p>"
                   if data.referential_provisional else "")
    label = f"{_e(m.label)} — " if m.label and m.label != m.type.label else ""
    return (
        '<section class="wb-dash-mission"><h2>Mission</h2><table>'
        f"<tr><th>Mission</th><td>{label}{_e(m.type.label)}</td></tr>"
        f"<tr><th>Référentiel</th><td>{_e(data.referential_title)} — {_e(data.referential_version)}</td></tr>"
        f"<tr><th>Audit préparé</th><td>{_e(m.audit_type.label)} le {_e(fr_date_long(m.audit_date))}</td></tr>"
        f"</table>{provisional}</section>"
    )


def _kpi(value: str, label: str, css: str = "") -> str:
    return f'<div class="wb-dash-kpi {css}"><b>{_e(value)}</b>{_e(label)}</div>'


def _rate(c: Counts) -> str:
    return fr_percent(c.readiness, 0)


def readiness_section(data: DashboardData, *, chart: bool = True) -> str:
    c = data.counts
    kpis = "".join((
        _kpi(_rate(c), READINESS_LABEL.lower(), "wb-dash-readiness"),
        _kpi(fr_percent(c.evaluated_conformity, 0), CONFORMITY_LABEL.lower(), "wb-dash-conformity"),
        _kpi(f"{c.conforme} / {c.audited}", "indicateurs conformes / applicables"),
        _kpi(f"{c.evaluated} / {c.audited}", "indicateurs évalués / applicables"),
        _kpi(str(c.nc_majeure), "NC majeures"),
        _kpi(str(c.nc_mineure), "NC mineures"),
        _kpi(str(c.non_evalue), "non évalués"),
    ))
    rows = "".join(
        f"<tr><td>{r.number}. {_e(r.title)}</td><td class='wb-num'>{r.counts.audited}</td>"
        f"<td class='wb-num'>{r.counts.conforme}</td><td class='wb-num'>{r.counts.nc_mineure}</td>"
        f"<td class='wb-num'>{r.counts.nc_majeure}</td><td class='wb-num'>{r.counts.non_evalue}</td>"
        f"<td class='wb-num'>{_e(_rate(r.counts))}</td></tr>"
        for r in data.criteria
    )
    table = (
        '<table class="wb-dash-criteria"><thead><tr><th>Critère</th><th class="wb-num">Applicables</th>'
        '<th class="wb-num">Conformes</th><th class="wb-num">NC mineures</th><th class="wb-num">NC majeures</th>'
        '<th class="wb-num">Non évalués</th><th class="wb-num">Taux</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
    svg = ""
    if chart and c.audited:
        by_criterion = {r.number: r.counts for r in data.criteria}
        svg = f'<div class="wb-dash-chart">{chart_by_criterion(by_criterion, {r.number: r.short_title for r in data.criteria})}</div>'
    na = (f"<p class='wb-dash-muted'>{c.non_applicable} indicateur(s) jugé(s) non applicable(s) avec "
          "justification, non comptés.</p>") if c.non_applicable else ""
    return (
        '<section class="wb-dash-readiness-section"><h2>Préparation à l\'audit</h2>'
        f'<div class="wb-dash-kpis">{kpis}</div>'
        f"<p class='wb-dash-muted'>{_e(READINESS_LABEL)} : {_e(READINESS_HELP)}. {_e(CONFORMITY_LABEL)} : "
        f"{_e(CONFORMITY_HELP)}.</p>{na}{table}{svg}</section>"
    )


def projection_section(data: DashboardData) -> str:
    blocking = " wb-blocking" if data.outcome.blocking else ""
    return (
        '<section class="wb-dash-projection"><h2>Résultat projeté de l\'audit</h2>'
        f'<div class="wb-dash-outcome{blocking}"><b>{_e(data.outcome.label)}</b>'
        f"<p>{_e(data.projection_summary)}</p></div>"
        f'<div class="wb-dash-disclaimer"><b>{DISCLAIMER_TITLE}.</b> {_e(data.disclaimer)}</div></section>'
    )


def _gap_row(g: GapRow) -> str:
    level = _verdict_badge(g.projected or g.verdict)
    if g.requalified:
        level += f"<br><span class='wb-dash-muted'>relevé en {_e(g.verdict.label)}</span>"
    reason = f"<br><span class='wb-dash-muted'>{_e(g.reason)}</span>" if g.reason else ""
    finding = _e(g.finding) if g.finding else "<span class='wb-dash-muted'>—</span>"
    return (f"<tr><td class='wb-num'>{g.number}</td><td>{_e(g.title)}{reason}</td><td>{level}</td>"
            f"<td>{_e(g.expected_level)}</td><td>{finding}</td></tr>")


def gaps_section(data: DashboardData) -> str:
    if not data.gaps:
        body = "<p>Aucun écart : tous les indicateurs évalués sont conformes.</p>"
    else:
        n_major = sum((g.projected or g.verdict) == Verdict.NC_MAJEURE for g in data.gaps)
        n_minor = sum((g.projected or g.verdict) == Verdict.NC_MINEURE for g in data.gaps)
        n_todo = sum(g.verdict == Verdict.NON_EVALUE for g in data.gaps)
        body = (
            f"<p>{len(data.gaps)} indicateur(s) à traiter, des plus graves aux moins graves : "
            f"{n_major} NC majeure(s), {n_minor} NC mineure(s), {n_todo} non évalué(s).</p>"
            '<table class="wb-dash-gaps"><thead><tr><th class="wb-num">Ind.</th><th>Indicateur</th>'
            "<th>Niveau</th><th>Ce qui est attendu</th><th>Constat</th></tr></thead><tbody>"
            + "".join(_gap_row(g) for g in data.gaps) + "</tbody></table>"
        )
    return f'<section class="wb-dash-gaps-section"><h2>Écarts à traiter</h2>{body}</section>'


def _action_row(a: ActionRow) -> str:
    due = _e(fr_date(a.due_date))
    if a.overdue:
        due = f"<span class='wb-overdue'>{due} (en retard)</span>"
    detail = f"<br><span class='wb-dash-muted'>{_e(a.detail)}</span>" if a.detail else ""
    return (f"<tr><td>{_e(PRIORITY_LABELS.get(a.priority, a.priority))}</td>"
            f"<td class='wb-num'>{_e(a.indicator or '—')}</td><td><b>{_e(a.title)}</b>{detail}</td>"
            f"<td>{_e(a.owner or '—')}</td><td>{due}</td>"
            f"<td>{_badge(a.status.label, STATUS_COLORS[a.status])}</td></tr>")


def plan_section(data: DashboardData) -> str:
    p = data.progress
    if not data.actions:
        body = "<p>Aucune action enregistrée pour cette mission.</p>"
    else:
        width = round((p.ratio or 0) * 100)
        late = f", <span class='wb-overdue'>{p.overdue} en retard</span>" if p.overdue else ""
        body = (
            f'<p class="wb-dash-progress"><b>{p.done} / {p.total}</b> action(s) réalisée(s) '
            f"({_e(fr_percent(p.ratio, 0))}), {p.in_progress} en cours{late}.</p>"
            f'<div class="wb-dash-bar"><span style="width:{width}%"></span></div>'
            '<table class="wb-dash-plan"><thead><tr><th>Priorité</th><th class="wb-num">Ind.</th><th>Action</th>'
            "<th>Responsable</th><th>Échéance</th><th>Statut</th></tr></thead><tbody>"
            + "".join(_action_row(a) for a in data.actions) + "</tbody></table>"
            "<p class='wb-dash-muted'>Les actions abandonnées ne comptent pas dans l'avancement.</p>"
        )
    return f'<section class="wb-dash-plan-section"><h2>Plan d\'actions</h2>{body}</section>'


def calendar_section(data: DashboardData) -> str:
    day, label = data.next_audit
    items = [f"<li>Prochain audit : {_e(label)}, le {_e(fr_date_long(day))}.</li>"]
    if data.cycle is None:
        items.append("<li>Pas encore de certificat enregistré : le cycle de certification (surveillance entre "
                     "le 14e et le 22e mois, renouvellement avant la fin des 3 ans) partira de la date du "
                     "certificat.</li>")
    else:
        items += [f"<li>{_e(line)}</li>" for line in data.cycle.describe()]
    d = data.duration
    details = "".join(f"<li>{_e(x)}</li>" for x in d.details)
    uncertain = "".join(f"<li>{_e(x)}</li>" for x in d.uncertain)
    return (
        '<section class="wb-dash-calendar"><h2>Calendrier de certification</h2>'
        f"<ul>{''.join(items)}</ul>"
        f"<p class='wb-dash-duration'><b>Durée estimée de l'{_e(d.audit_type.label.lower())} :</b> "
        f"{_e(d.label())}</p>"
        + (f"<ul class='wb-dash-muted'>{details}</ul>" if details else "")
        + (f"<p class='wb-dash-muted'>À confirmer avec l'organisme certificateur :</p>"
           f"<ul class='wb-dash-muted'>{uncertain}</ul>" if uncertain else "")
        + "</section>"
    )


def footer(data: DashboardData) -> str:
    return (f"<footer class='wb-dash-muted'><p>Tableau de bord établi par {_e(data.branding.firm)} à partir des "
            f"constats de la mission ({_e(data.referential_title)}). Consultation seule : pour toute correction, contactez "
            "votre consultant.</p></footer>")


def render_dashboard(data: DashboardData, *, chart: bool = True) -> str:
    """The whole dashboard as one HTML fragment."""
    return (
        f'{_css(data)}<div class="wb-dash wb-dash-root">{header(data)}{mission_section(data)}'
        f"{readiness_section(data, chart=chart)}{projection_section(data)}{gaps_section(data)}"
        f"{plan_section(data)}{lifecycle_section(data.lifecycle)}{calendar_section(data)}{footer(data)}</div>"
    )


def render_error(message: str) -> str:
    """What the client sees instead of the dashboard when it cannot be shown."""
    return (
        '<div class="wb-dash-error" style="border-left:4px solid #b00020;padding:8px 12px;background:#fdecee">'
        f"<b>Impossible d'afficher le tableau de bord.</b><br>{_e(message)}</div>"
    )
