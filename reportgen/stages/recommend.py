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


OTHER_PRODUCTS = "Other products"


def category_mix(profile: Profile, cluster: int, size: int, whole: str | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """Share of the segment's whole spend per category (the total of `whole`, the value feature,
    when the categories are parts of it, with the rest as "Other products"; else of the categories'
    sum), and its spend per customer on each against the average customer (2.0 = twice as much)."""
    if not profile.category_totals:
        return {}, {}
    totals = profile.category_totals[cluster]
    spent = sum(totals.values())
    base = profile.sums[cluster].get(whole, 0.0) if whole and cluster < len(profile.sums) else 0.0
    if base < spent * (1 - 1e-9):  # the categories are not parts of the value feature: shares of their own sum
        base = spent
    mix = {c: round(v / base, 4) if base else 0.0 for c, v in totals.items()}
    rest = base - spent
    if base and rest > base * 5e-4:
        mix[OTHER_PRODUCTS] = round(rest / base, 4)
    index = {}
    for c, v in totals.items():
        per = profile.category_population.get(c, 0.0) / profile.n if profile.n else 0.0
        index[c] = round((v / size) / per, 3) if per and size else 0.0
    return mix, index


def _fill(text: str, top: list[str]) -> str:
    if not top:
        return text.replace("{top_category}", "our range").replace("{top_categories}", "our range")
    pair = " and ".join(t.lower() for t in top[:2])
    return text.replace("{top_category}", top[0].lower()).replace("{top_categories}", pair)


def _personalise(campaign: Campaign, top: list[str]) -> Campaign:
    fields = {f: _fill(getattr(campaign, f), top) for f in ("name", "objective", "offer", "kpi", "tone")}
    return replace(campaign, **fields)


def recommend(
    named: list[Named], clustering: Clustering, book: CampaignBook, profile: Profile | None = None, whole: str | None = None
) -> tuple[tuple[Segment, ...], tuple[str, ...]]:
    total = sum(clustering.sizes)
    segments = []
    warnings = []
    for n in named:
        campaigns = book.by_segment.get(n.base_name, ())
        if not campaigns:
            warnings.append(f"No campaign is defined for segment '{n.base_name}': add one under campaigns: in {book.path.name}.")
        size = clustering.sizes[n.cluster]
        mix, index = category_mix(profile, n.cluster, size, whole) if profile is not None else ({}, {})
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
                name_fit=n.fit,
                phrases=n.phrases,
                level_shares=n.level_shares,
                level_phrases=n.level_phrases,
            )
        )
    return tuple(segments), tuple(dict.fromkeys(warnings))
