"""Pure: attach each segment's campaigns and category mix; a segment without campaigns is
reported, never silently empty.

Campaign text may name the segment's strongest categories: `{top_category}` becomes the category
it buys most of relative to the average customer, `{top_categories}` the top two ("wine and meat").
"""

from __future__ import annotations

from dataclasses import replace

from ..model import Campaign, Clustering, Profile, Segment
from ..rules import CampaignBook
from .label import Named


def category_mix(profile: Profile, cluster: int, size: int) -> tuple[dict[str, float], dict[str, float]]:
    """Share of the segment's category spend per category, and its spend per customer on each
    against the average customer (2.0 = twice as much)."""
    if not profile.category_totals:
        return {}, {}
    totals = profile.category_totals[cluster]
    spent = sum(totals.values())
    mix = {c: round(v / spent, 4) if spent else 0.0 for c, v in totals.items()}
    index = {}
    for c, v in totals.items():
        base = profile.category_population.get(c, 0.0) / profile.n if profile.n else 0.0
        index[c] = round((v / size) / base, 3) if base and size else 0.0
    return mix, index


def _fill(text: str, top: list[str]) -> str:
    if not top:
        return text.replace("{top_category}", "our range").replace("{top_categories}", "our range")
    pair = " and ".join(t.lower() for t in top[:2])
    return text.replace("{top_category}", top[0].lower()).replace("{top_categories}", pair)


def _personalise(campaign: Campaign, top: list[str]) -> Campaign:
    fields = {f: _fill(getattr(campaign, f), top) for f in ("name", "objective", "offer", "kpi", "tone")}
    return replace(campaign, **fields)


def recommend(named: list[Named], clustering: Clustering, book: CampaignBook, profile: Profile | None = None) -> tuple[tuple[Segment, ...], tuple[str, ...]]:
    total = sum(clustering.sizes)
    segments = []
    warnings = []
    for n in named:
        campaigns = book.by_segment.get(n.base_name, ())
        if not campaigns:
            warnings.append(f"No campaign is defined for segment '{n.base_name}': add one under campaigns: in {book.path.name}.")
        size = clustering.sizes[n.cluster]
        mix, index = category_mix(profile, n.cluster, size) if profile is not None else ({}, {})
        top = sorted(index, key=lambda c: (-index[c], c))
        segments.append(
            Segment(
                id=n.cluster,
                name=n.name,
                size=size,
                share=round(size / total, 4),
                centroid={k: round(v, 4) for k, v in n.centroid.items()},
                levels=n.levels,
                profile=n.profile,
                rule=n.rule,
                description=n.description,
                campaigns=tuple(_personalise(c, top) for c in campaigns),
                mixes=n.mixes,
                means={k: round(v, 4) for k, v in n.means.items()},
                mix=mix,
                category_index=index,
                base_name=n.base_name,
                colour=n.cluster,
            )
        )
    return tuple(segments), tuple(dict.fromkeys(warnings))
