"""Frozen values passed between the stages; nothing here renders or computes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

# Hennig's clusterboot reading of a segment's bootstrap stability (its mean best Jaccard match on
# resampled customers): from STABLE up it holds, below DISSOLVES it is not a finding. One home: the
# k choice, the confidence level and the reader's words (templates included) all read these.
STABLE = 0.75
DISSOLVES = 0.5
# Segment colours: each segment keeps one of this many colour-blind-safe colours everywhere (the
# documents' palette, render/fmt.py PALETTE, has exactly these); the analysis assigns them and caps
# the number of segments with it (config.MAX_SEGMENTS).
COLOURS = 10

if TYPE_CHECKING:  # kept out of import time so the chart browser can start first
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class RowIssue:
    """Rows that had a problem in one column: dropped from the analysis, or the value ignored."""

    column: str
    reason: str
    rows: int
    examples: tuple[int, ...]  # file line numbers, first few
    dropped: bool = True


@dataclass(frozen=True)
class CustomerTable:
    """Customers by role: customer_id (text), gender (text), age / income / spending (float)."""

    frame: pd.DataFrame
    source: Path
    checksum: str
    n_read: int
    columns: dict[str, str]  # role -> where it came from in the file
    issues: tuple[RowIssue, ...] = ()
    notes: tuple[str, ...] = ()
    n_used: int | None = None  # customers analysed, when `frame` holds only a sample of them (Spark)
    numeric: tuple[str, ...] = ()  # numeric features in the frame, in the settings' order
    attributes: tuple[str, ...] = ()  # text attributes in the frame (gender, ...): described, never clustered by default
    clustered: tuple[str, ...] = ()  # the features K-Means sees
    kind: str = "customers"  # "customers" (a customer table) or "transactions" (aggregated from an order log)
    facts: dict[str, str] = field(default_factory=dict)  # what the reader must know, e.g. {"as_of": "2011-12-10"}
    categories: dict[str, str] = field(default_factory=dict)  # category label -> frame column of spend on it
    scores: tuple[str, ...] = ()  # per-customer predictions in the frame (p_active, ...): written, never profiled

    @property
    def n_customers(self) -> int:
        return len(self.frame) if self.n_used is None else self.n_used

    @property
    def n_dropped(self) -> int:
        return self.n_read - self.n_customers


@dataclass(frozen=True)
class Features:
    """The standardised matrix K-Means sees, and the transform that made it."""

    matrix: np.ndarray
    roles: tuple[str, ...]  # the clustered features, in column order
    mean: np.ndarray  # of the transformed values
    scale: np.ndarray
    transforms: tuple[str, ...] = ()  # per feature: linear, log or rank
    offsets: tuple[float, ...] = ()  # per feature: the minimum subtracted before log1p
    skew: tuple[float, ...] = ()  # per feature: the data's skewness, which chose an automatic transform
    automatic: tuple[bool, ...] = ()  # per feature: transform chosen from the skew (not set in the settings)


@dataclass(frozen=True)
class KScore:
    """One candidate k, scored on the fitting sample."""

    k: int
    silhouette: float
    calinski_harabasz: float = 0.0  # higher is better
    davies_bouldin: float = 0.0  # lower is better
    inertia: float = 0.0  # within-segment sum of squares
    min_share: float = 0.0  # the smallest segment's share of customers
    stability: float | None = None  # the least stable segment's bootstrap Jaccard; None where not computed


@dataclass(frozen=True)
class Grouping:
    """How segments formed by name came about (stages/members.py), so resampling can repeat it."""

    fine_k: int  # fine clusters
    cells: np.ndarray  # per customer (row of the features matrix), their cell: the combination of their levels
    own: np.ndarray  # per cell, the index of the first usable rule it matches; n_rules: none
    rules: tuple[int, ...]  # per segment id, its rule's index
    n_rules: int
    min_share: float  # a name held by fewer customers than this share (and at least 10) forms no segment
    max_segments: int


@dataclass(frozen=True)
class Clustering:
    """Cluster ids 0..k-1 numbered largest first; metrics on the standardised features."""

    k: int
    k_auto: bool
    labels: np.ndarray
    silhouette: float
    davies_bouldin: float
    calinski_harabasz: float
    k_curve: tuple[KScore, ...]
    sizes: tuple[int, ...]
    k_reasons: tuple[str, ...] = ()  # why this k, in words, for the appendix
    grouping: Grouping | None = None  # segments formed by name from fine clusters, not K-Means' own partition
    chosen_k: int | None = None  # with a grouping: the k K-Means chose before the segments were formed by name

    @property
    def clusters_k(self) -> int:
        """The k of the k curve: K-Means' own choice (k itself unless the segments were formed by name)."""
        return self.chosen_k if self.chosen_k is not None else self.k


@dataclass(frozen=True)
class Confidence:
    """How far the segments are natural groups rather than slices of a continuum."""

    level: str  # "strong", "moderate" or "weak"
    hopkins: float  # clustering tendency: about 0.5 for structureless data, towards 1 for clear groups
    silhouette: float  # separation of the chosen segments
    stability: float  # mean of the segments' bootstrap stabilities
    reference_silhouette: float = 0.0  # what K-Means with the same k reaches on structureless customers like these
    reasons: tuple[str, ...] = ()  # what held the level down, in words


@dataclass(frozen=True)
class Alternative:
    """Another clustering method on the same scaled features and k, against K-Means."""

    method: str  # "Gaussian mixture" or "Ward hierarchical"
    k: int
    silhouette: float
    agreement: float  # adjusted Rand index with the K-Means segments on the same rows


@dataclass(frozen=True)
class Trust:
    """How far the segments can be believed; computed by stages.trust, shown by the renderers."""

    confidence: Confidence
    stability: tuple[float, ...]  # per cluster id (0 = largest): 0..1, >= STABLE stable, < DISSOLVES dissolves
    alternatives: tuple[Alternative, ...]
    rows: int = 0  # customers the trust measures were computed on (a seeded sample of large tables)


@dataclass(frozen=True)
class Profile:
    """Aggregates over every analysed customer: all that naming and the documents need."""

    n: int
    population: dict[str, float]  # mean of each numeric feature
    centroids: tuple[dict[str, float], ...]  # per cluster: the values the rules judge (clustered: the centre in original units; others: the mean)
    means: tuple[dict[str, float], ...]  # per cluster, mean of each numeric feature
    mixes: tuple[dict[str, dict[str, float]], ...]  # per cluster: attribute -> {value: share}
    quantiles: dict[str, dict[float, float]]  # feature -> {share of customers: value}, for the rules' levels
    percentiles: dict[str, tuple[float, ...]] = field(default_factory=dict)  # feature -> values at 0, 1, ..., 100 %
    separation: dict[str, float] = field(default_factory=dict)  # clustered feature -> share of its variance between segments
    category_totals: tuple[dict[str, float], ...] = ()  # per cluster: category label -> total spend on it
    category_population: dict[str, float] = field(default_factory=dict)  # category label -> total over all customers
    sums: tuple[dict[str, float], ...] = ()  # per cluster: total of each numeric feature (a segment's revenue)
    population_sums: dict[str, float] = field(default_factory=dict)  # total of each numeric feature over all customers
    binary: tuple[str, ...] = ()  # numeric features whose every value is 0 or 1 (yes/no): shown as rates
    positive: dict[str, float] = field(default_factory=dict)  # feature -> share of all customers with a value above 0
    positive_by_cluster: tuple[dict[str, float], ...] = ()  # per cluster: feature -> share of its customers above 0
    rhythm: Rhythm | None = None  # order logs: how often the shop's customers buy, and how far back the log goes


@dataclass(frozen=True)
class Rhythm:
    """The shop's own buying rhythm, which recency is judged against (order logs only)."""

    cycle_days: float | None  # median days between orders of a customer who ordered more than once; None: no repeat buyer
    history_days: float  # days from the first purchase in the log to the as-of day
    repeat_customers: int  # customers with two orders or more


@dataclass(frozen=True)
class Campaign:
    name: str
    objective: str
    channels: tuple[str, ...]
    offer: str
    kpi: str
    budget_share: float
    tone: str


@dataclass(frozen=True)
class Segment:
    id: int
    name: str
    size: int
    share: float
    centroid: dict[str, float]  # by role, original units (mean of the segment's customers)
    levels: dict[str, str]  # by role
    profile: str  # plain-language phrase built from the levels
    rule: str  # the rule that named it, or "fallback"
    description: str  # the rule's one line for marketers
    campaigns: tuple[Campaign, ...]
    mixes: dict[str, dict[str, float]] = field(default_factory=dict)  # attribute -> {value: share}
    means: dict[str, float] = field(default_factory=dict)  # mean of every numeric feature
    mix: dict[str, float] = field(default_factory=dict)  # category -> share of this segment's category spend
    category_index: dict[str, float] = field(default_factory=dict)  # category -> spend per customer vs all customers (1 = same)
    base_name: str = ""  # the rule's name before equal names were told apart
    colour: int = 0  # palette index; kept from last month for the same kind of customers
    name_fit: float | None = None  # share of its customers whose own values satisfy the rule that named it
    phrases: dict[str, str] = field(default_factory=dict)  # feature -> how its level reads ("bought recently")
    level_shares: dict[str, tuple[float, ...]] = field(default_factory=dict)  # per judged feature, the share of its customers at each level
    level_phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per judged feature, each level's phrase
    revenue: float | None = None  # total of the value feature over its customers (order logs: monetary)
    revenue_share: float | None = None  # its revenue as a share of all customers' revenue
    p_active: float | None = None  # order logs: mean probability that its customers are still active
    p_order_90d: float | None = None  # order logs: expected share of its customers who order in the next 90 days
    expected_orders_90d: float | None = None  # order logs: expected orders from its customers in the next 90 days
    expected_value_12m: float | None = None  # order logs: expected value of their orders in the next 12 months
    responses: dict[str, float] = field(default_factory=dict)  # past campaign (yes/no feature) -> share of its customers who answered


@dataclass(frozen=True)
class SegmentChange:
    """One of this month's segments against last month's."""

    name: str
    status: str  # "kept", "renamed" (same customers, new name) or "new"
    previous_name: str | None
    size_then: int | None
    size_now: int
    share_then: float | None
    share_now: float
    drift: dict[str, float]  # centre now minus then, by role, original units
    old_name_fit: float | None = None  # renamed: the share of its customers that still meet last month's name's rule


@dataclass(frozen=True)
class Changes:
    """Month over month: sizes, who moved where (matched by customer id), what appeared or went."""

    previous_period: str
    n_then: int
    n_now: int
    segments: tuple[SegmentChange, ...]
    disappeared: tuple[tuple[str, int], ...]  # (name, size then)
    rows: tuple[str, ...]  # last month's segments, then "Not a customer then"
    columns: tuple[str, ...]  # this month's segments, then "Gone"
    counts: tuple[tuple[int, ...], ...]
    new_customers: int
    gone_customers: int
    stayed: int
    moved: int


@dataclass(frozen=True)
class NamingFacts:
    """How the segments got their names, for the appendix and summary.json."""

    how: str  # "clusters" (each cluster named by its centre), "by name" (fine clusters joined by the name most of their customers hold), "data" (no rule pack judges every clustered feature)
    rules: str  # the rule pack's segments file
    judged: tuple[str, ...]  # features the pack's levels judged this run
    unjudged: tuple[str, ...] = ()  # clustered features the pack does not judge
    short_history: bool = False  # lapsing names held back: the log is too short to tell who is slipping away
    fine_k: int = 0
    cluster_fits: tuple[tuple[str, float], ...] = ()  # by name: the first clusters' names and how far they held
    folded: tuple[tuple[str, int], ...] = ()  # names held by too few customers to stand alone
    value_feature: str | None = None  # the feature whose total is a segment's revenue
    kept_cuts: tuple[str, ...] = ()  # features whose level cuts stayed at last month's (they moved less than the margin)


@dataclass(frozen=True)
class Action:
    """One thing to do this month: a campaign for a segment's customers, and what is at stake."""

    segment: str
    segment_id: int
    campaign: str
    audience: int  # customers the campaign reaches (the segment's)
    value_at_stake: float | None  # order logs: their expected 12-month value; customer tables: the segment's revenue
    basis: str  # what value_at_stake is: "expected_value_12m", "revenue" or "" (no money figure)
    expected_response: float | None  # the segment's answer rate to the last past campaign, where known
    budget_share: float  # share of this month's campaign budget (all actions add up to 1)


@dataclass(frozen=True)
class Forecast:
    """The repeat-purchase models behind the predictions (stages/predict.py), or why there are none."""

    fitted: bool
    reason: str = ""  # why not fitted, in words
    bgnbd: tuple[float, float, float, float] = ()  # r, alpha, a, b (days)
    gamma_gamma: tuple[float, float, float] = ()  # p, q, v; empty: order values not modelled
    customers: int = 0
    repeat_customers: int = 0


@dataclass(frozen=True)
class Display:
    """How a feature's numbers read to people ('Annual income' 86 -> '$86k'; a share 0.42 -> '42%'),
    resolved from the settings' `display:` by the pipeline."""

    label: str
    prefix: str = ""
    suffix: str = ""
    decimals: int = 0
    percent: bool = False  # show 0.42 as 42%
    money: bool = False  # an amount of money: shown with the report's currency


@dataclass(frozen=True)
class Presentation:
    """What the documents show as the settings say it, resolved once by the pipeline: the renderers
    read these values, never the settings."""

    displays: dict[str, Display]  # every feature of the run (numbers, attributes, predictions)
    title: str
    organisation: str = ""
    accent: str = "#332288"
    logo: Path | None = None
    currency: str = ""
    budget: float | None = None  # this month's campaign budget, when given
    templates: Path | None = None  # the template folder
    responses: tuple[str, ...] = ()  # past campaigns' yes/no features, oldest first
    sensitive: tuple[str, ...] = ()  # features marked sensitive in the settings
    map: tuple[str, ...] = ()  # the two map features the settings chose, if any
    seed: int = 42
    k_min: int = 3
    k_max: int = 8
    n_init: int = 10
    email_subject: str = ""
    email_sender: str = ""
    email_recipients: tuple[str, ...] = ()

    def display(self, name: str) -> Display:
        """How a feature reads; a name the settings do not know reads as words ('web_share' -> 'Web share')."""
        from .vocabulary import label_from_name

        return self.displays.get(name) or Display(label=label_from_name(name), decimals=1)


@dataclass(frozen=True)
class Report:
    """Everything a run found; renderers and writers read it, nobody changes it."""

    period: str
    presentation: Presentation
    table: CustomerTable
    features: Features
    clustering: Clustering
    segments: tuple[Segment, ...]
    level_cuts: dict[str, tuple[float, ...]]
    profile: Profile
    warnings: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    folder: Path | None = None  # the period folder, once written
    changes: Changes | None = None  # against the previous period, when its report exists
    trust: Trust | None = None  # confidence, stability per segment, alternatives compared
    naming: NamingFacts | None = None  # how the names were given
    forecast: Forecast | None = None  # order logs: what the customers will likely do next
    actions: tuple[Action, ...] = ()  # ranked by value at stake
    response_rates: dict[str, float] = field(default_factory=dict)  # past campaign -> share of all customers who answered
    value: str | None = None  # the settings' `value:` feature, when set

    @property
    def population(self) -> dict[str, float]:
        """Mean of each numeric role over all analysed customers."""
        return self.profile.population

    @property
    def largest(self) -> Segment:
        return max(self.segments, key=lambda s: (s.size, -s.id))

    @property
    def value_feature(self) -> str | None:
        """The feature that measures a customer's value: the settings' `value`, else the first known one present."""
        from .vocabulary import VALUE_FEATURES

        if self.value:
            return self.value
        return next((f for f in VALUE_FEATURES if f in self.population), None)

    @property
    def most_valuable(self) -> Segment:
        """Highest average value (spending, monetary...); ties go to the larger segment."""
        value = self.value_feature
        return max(self.segments, key=lambda s: (s.means.get(value, s.centroid.get(value, 0.0)) if value else 0.0, s.size, -s.id))
