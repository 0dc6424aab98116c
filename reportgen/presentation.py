"""The settings' say on what the documents show (labels, units, branding, the email's header), resolved
once into the Report's Presentation: the renderers read values, never the settings."""

from __future__ import annotations

from collections.abc import Iterable

from .config import Settings
from .model import Display, Presentation


def resolve(settings: Settings, names: Iterable[str]) -> Presentation:
    """The Presentation of a run whose features are `names` (numbers, attributes, predictions)."""
    every = dict.fromkeys([*names, *settings.display, *settings.columns, *settings.responses, *([settings.value] if settings.value else [])])
    every.pop("customer_id", None)
    r, c, e = settings.report, settings.clustering, settings.email
    return Presentation(
        displays={n: Display(**settings.display_of(n).model_dump()) for n in every},
        title=r.title,
        organisation=r.organisation,
        accent=r.accent,
        logo=r.logo,
        currency=r.currency,
        budget=r.budget,
        templates=settings.templates_path,
        responses=tuple(settings.responses),
        sensitive=tuple(name for name, spec in settings.columns.items() if getattr(spec, "sensitive", False)),
        map=tuple(settings.map or ()),
        seed=c.seed,
        k_min=c.k_min,
        k_max=c.k_max,
        n_init=c.n_init,
        email_subject=e.subject,
        email_sender=e.sender,
        email_recipients=tuple(e.recipients),
    )
