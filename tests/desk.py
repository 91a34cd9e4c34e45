"""The people of the review desk's tests, and a desk seeded with them."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from pipeline.synthetic import desk as synthetic_desk
from pipeline.synthetic.desk import DOUBTFUL, Desk, chart_values

PASSWORDS = {
    "rita": "reviewer-pass-1",
    "rob": "reviewer-pass-2",
    "lena": "lead-pass-1",
    "adam": "admin-pass-1",
}
ROLES = {"rita": "reviewer", "rob": "reviewer", "lena": "lead", "adam": "admin"}


def seed_desk(sessions: sessionmaker[Session], charts: int = 3) -> Desk:
    people = {name: (PASSWORDS[name], role) for name, role in ROLES.items()}
    return synthetic_desk.seed_desk(sessions, charts, people=people)


__all__ = ["DOUBTFUL", "PASSWORDS", "Desk", "chart_values", "seed_desk"]
