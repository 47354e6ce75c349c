"""Fixture data shared by the session-review tests: a client with sessions, a drawn sample."""

from __future__ import annotations

import datetime as dt

from workbench.core.vocab import Category
from workbench.domain.sessions import Funding, Modality, Session
from workbench.services.sessions import draw_for_mission, repository


def sessions_for(client_id: str, n: int = 12) -> list[Session]:
    out = []
    cats = [Category.AF, Category.CFA, Category.AF, Category.AF]
    for i in range(1, n + 1):
        start = dt.date(2026, 1, 5) + dt.timedelta(days=9 * i)
        out.append(Session(
            client_id=client_id, reference=f"SES-{i:02d}", title=f"Formation {i}", category=cats[i % len(cats)],
            start=start, end=start + dt.timedelta(days=2), site=["Lyon", "Vienne"][i % 2],
            trainers=(["Ada", "Blaise", "Chloé"][i % 3],), learners=6 + i % 4,
            funding=((Funding.OPCO,), (Funding.CPF,), (Funding.ENTREPRISE,))[i % 3],
            certifying=i % 4 == 1, subcontracted=i % 5 == 2,
            modality=Modality.DISTANCE if i % 6 == 3 else Modality.PRESENTIEL))
    return out


def seed_sample(ws, client_id: str, mission_id: str, *, n: int = 12, size: int | None = 4, seed: int = 7):
    repository(ws).upsert(client_id, sessions_for(client_id, n))
    _, sample = draw_for_mission(ws, client_id, mission_id, size=size, seed=seed)
    return sample
