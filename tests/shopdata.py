"""Files the way shops export them, for the layout tests: an order log with long product names and many
categories (semicolons, decimal commas, a currency in the header), a rule pack whose segment names are
long, and a CRM-style customer table with yes/no flags and measures most customers have at 0."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from reportgen.bundled import bundled_path

CATEGORIES = (
    "Kitchen & Dining Accessories", "Garden Furniture and Outdoor Living", "Children's Toys, Games & Puzzles",
    "Premium Bath Linen", "Home Office Stationery", "Seasonal Decorations", "Lighting", "Pet Care Essentials",
    "Artisan Coffee, Tea & Infusions", "Wellbeing", "Tools & DIY", "Travel Accessories and Luggage",
)
PRODUCTS = (
    "Hand-Thrown Stoneware Serving Bowl with Reactive Glaze, Extra Large",
    "Weatherproof Teak Garden Bench (Three-Seater) with Cushion",
    "Wooden Marble Run Construction Set — 120 Pieces",
    "Organic Cotton Waffle Bath Sheet, Stone Grey",
    "A5 Dotted Notebook",
    "Hand-Painted Glass Bauble Set of Twelve",
    "Rechargeable LED Lantern",
    "Orthopaedic Memory-Foam Dog Bed, Large",
    "Single-Origin Ethiopian Yirgacheffe Whole Bean Coffee 1 kg",
    "Aromatherapy Diffuser",
    "Cordless Drill",
    "Hard-Shell Cabin Suitcase",
)
LONG_NAMES = {  # the RFM pack's names, made long
    "Champions": "Champions who buy often, spend the most and bought within the last fortnight",
    "Loyal customers": "Loyal regulars who keep coming back month after month",
    "New customers": "Brand-new customers with a single first order",
    "About to sleep": "Occasional buyers who are about to drift away without a nudge",
    "At risk": "Once-valuable customers now at risk of leaving for good",
    "Hibernating": "Hibernating low spenders",
    "Lost": "Lost",
    "Potential loyalists": "Potential loyalists with two or three recent orders",
    "Mid-range customers": "Mid-range customers in the middle of every measure",
}


def order_log(path: Path, customers: int = 900, seed: int = 5) -> Path:
    """A year of orders ending in December 2024, exported as a European shop does it."""
    rng = np.random.default_rng(seed)
    rows = ["Order Number;Order Date;Customer Email;Product Name;Category;Qty;Unit Price (EUR)"]
    start = np.datetime64("2024-01-01")
    order = 100_000
    for c in range(customers):
        kind = c % 4
        orders = int(rng.integers(1, 3 if kind == 0 else 25 if kind == 3 else 8))
        likes = rng.choice(len(CATEGORIES), size=3, replace=False)
        for _ in range(orders):
            order += 1
            day = start + int(rng.integers(0 if kind != 1 else 300, 365))
            for _ in range(int(rng.integers(1, 4))):
                item = int(likes[int(rng.integers(0, 3))] if rng.random() < 0.8 else rng.integers(0, len(CATEGORIES)))
                price = round(float(rng.gamma(2.0, 12 + 30 * (item % 3))), 2)
                qty = int(rng.integers(1, 5))
                rows.append(f"SO-{order};{day} {int(rng.integers(8, 20)):02d}:15:00;customer{c:04d}@example.org;"
                            f"{PRODUCTS[item]};{CATEGORIES[item]};{qty};{str(price).replace('.', ',')}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def long_rules(folder: Path) -> Path:
    """The bundled RFM rule pack with its segment names made long (the campaigns follow them)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("segments.yaml", "campaigns.yaml"):
        text = bundled_path("rules", "rfm", name).read_text(encoding="utf-8")
        for short, long in LONG_NAMES.items():
            text = re.sub(rf"(name: |^  ){re.escape(short)}(:?)$", lambda m: f"{m.group(1)}{long}{m.group(2)}", text, flags=re.M)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def crm_table(path: Path, customers: int = 1500, seed: int = 9) -> Path:
    """A CRM export: money with currency signs, yes/no flag columns, a zero-heavy complaints count."""
    rng = np.random.default_rng(seed)
    rows = ["Customer ID,Annual Household Income,Total Spend Last 24 Months,Store Visits Per Month,Newsletter Subscriber,"
            "Complaints Filed,Loyalty Card Holder,Region"]
    regions = ("North-West England and the Isle of Man", "Greater London", "Scotland", "Wales", "East Midlands")
    for c in range(customers):
        group = c % 3
        income = rng.normal((28_000, 55_000, 90_000)[group], 6_000)
        spend = max(0.0, rng.normal((300, 1_200, 2_600)[group], 250))
        visits = max(0.0, rng.normal((1.0, 3.0, 6.0)[group], 0.8))
        rows.append(
            f'C{c:05d},"${income:,.0f}","${spend:,.2f}",{visits:.1f},{int(rng.random() < (0.2, 0.5, 0.7)[group])},'
            f"{int(rng.poisson(0.15))},{int(rng.random() < 0.4)},{regions[int(rng.integers(0, len(regions)))]}"
        )
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
