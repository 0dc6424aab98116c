"""Pure: attach each segment's campaigns; a segment without any is reported, never silently empty."""

from __future__ import annotations

from ..model import Clustering, Segment
from ..rules import CampaignBook
from .label import Named


def recommend(named: list[Named], clustering: Clustering, book: CampaignBook) -> tuple[tuple[Segment, ...], tuple[str, ...]]:
    total = sum(clustering.sizes)
    segments = []
    warnings = []
    for n in named:
        campaigns = book.by_segment.get(n.base_name, ())
        if not campaigns:
            warnings.append(f"No campaign is defined for segment '{n.base_name}': add one under campaigns: in {book.path.name}.")
        size = clustering.sizes[n.cluster]
        segments.append(
            Segment(
                id=n.cluster,
                name=n.name,
                size=size,
                share=round(size / total, 4),
                centroid={k: round(v, 2) for k, v in n.centroid.items()},
                levels=n.levels,
                profile=n.profile,
                rule=n.rule,
                description=n.description,
                campaigns=campaigns,
                gender_mix=n.gender_mix,
                base_name=n.base_name,
                colour=n.cluster,
            )
        )
    return tuple(segments), tuple(dict.fromkeys(warnings))
