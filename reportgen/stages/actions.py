"""What to do first: every recommended campaign as an action on its segment's customers, ranked by
the value at stake, with the answer rate to the last past campaign where the data has one, and the
month's budget shared so the shares add up to the whole.

Value at stake: on an order log with predictions, the expected value of the audience's orders in the
next 12 months; otherwise the segment's revenue (its customers' total value feature); without a
money feature there is none, and actions rank by audience.
"""

from __future__ import annotations

from ..model import Action, Segment


def rank(segments: tuple[Segment, ...], last_response: str | None) -> tuple[Action, ...]:
    found: list[Action] = []
    budget = sum(c.budget_share for s in segments for c in s.campaigns)
    for s in segments:
        if s.expected_value_12m is not None:
            stake, basis = s.expected_value_12m, "expected_value_12m"
        elif s.revenue is not None:
            stake, basis = s.revenue, "revenue"
        else:
            stake, basis = None, ""
        response = s.responses.get(last_response) if last_response else None
        for c in s.campaigns:
            found.append(Action(s.name, s.id, c.name, s.size, stake, basis, response, round(c.budget_share / budget, 4) if budget else 0.0))
    order = {id(a): i for i, a in enumerate(found)}
    return tuple(sorted(found, key=lambda a: (a.value_at_stake is None, -(a.value_at_stake or 0.0), -a.audience, order[id(a)])))
