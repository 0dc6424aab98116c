"""`reportgen init`: look at a file reportgen has never seen and write a commented settings file
that runs as is: the id column, numeric features with readable labels, dates as days-since,
spend-per-category columns as categories, text columns as attributes, or an order log's mapping.

It only drafts: everything it decides is written out as ordinary settings, with a comment saying
why, for the user to read and change.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

from .config import Settings, label_from_name
from .engines.sql import signed_number
from .errors import ConfigError, DataError
from .suggest import norm
from .vocabulary import CUSTOMER_COLUMNS, MALL_CLUSTERED, MALL_FEATURES, feature_name, find_column, usual_names

MAX_FEATURES = 5
MAX_ATTRIBUTE_VALUES = 20
SPEND_PREFIXES = ("mnt", "spend", "amount", "amt", "sales", "revenue")
NAME_HINTS = ("spend", "income", "recency", "frequency", "purchase", "order", "visit", "monetary", "value", "tenure", "age", "balance")


def _yaml_text(value: str) -> str:
    """A YAML scalar that stays a string (quoted when it needs to be)."""
    import yaml

    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True).strip().removesuffix("...").strip()


def _order_log(path: Path, header: list[str], data_ref: str, settings: Settings | None = None) -> list[str]:
    from .stages import transactions

    cols = transactions.resolve(header, settings or Settings(), str(path))
    fields = {k: getattr(cols, k, None) for k in ("customer_id", "order_id", "date", "amount", "quantity", "price", "product", "category")}
    lines = [
        f"data: {_yaml_text(data_ref)}",
        "",
        "# An order log: reportgen derives per customer recency_days, frequency (distinct orders), monetary",
        "# (sum of quantity x price), tenure_days, avg_order_value and return_rate, then names segments",
        "# with the standard RFM grid (Champions ... Lost).",
        "transactions:",
    ]
    for key, column in fields.items():
        if column:
            lines.append(f"  {key}: {_yaml_text(str(column))}")
    if not cols.order_id:
        lines.append("  # no order id column: a customer's lines at one date and time count as one order")
    lines += [
        "  # date_format: \"%d/%m/%Y %H:%M\"   # only if the run says the day/month order cannot be told",
        "",
        "rules: rfm                 # the built-in RFM rule pack and its campaigns",
        "features: [recency_days, frequency, monetary]",
        "",
    ]
    return lines + _currency_lines(currency_of_header(header) or _order_currency(path, header, fields))


def _currency_lines(sign: str) -> list[str]:
    if sign:
        return ["report:", f"  currency: {_yaml_text(sign)}              # found in the data; how money reads in the documents"]
    return ["# report:", "#   currency: \"$\"           # CHECK: the data shows no currency; say how money reads ($, €, £, EUR ...)"]


def _order_currency(path: Path, header: list[str], fields: dict[str, Any]) -> str:
    from .stages import read

    money = [c for c in (fields.get("amount"), fields.get("price")) if c]
    if not money:
        return ""
    frame = read.read(path, header, set()).frame
    return _currency_sign([frame[c].astype("string") for c in money if c in frame.columns])


def _skew(values: Any) -> float:
    import numpy as np

    x = values.to_numpy(dtype=np.float64)
    c = x - x.mean()
    m2 = float(np.mean(c**2))
    return 0.0 if m2 == 0 else float(np.mean(c**3) / m2**1.5)


def _total_of_the_others(columns: list[str], numbers: dict[str, Any]) -> str | None:
    """The spend column that is the sum of the other spend columns (within 1% on 95% of the rows
    where all are given), so that a total beside its parts is not counted twice."""
    if len(columns) < 3:
        return None
    for total in columns:
        parts = [c for c in columns if c != total]
        given = numbers[total].notna()
        for c in parts:
            given &= numbers[c].notna()
        if given.sum() == 0:
            continue
        added = sum(numbers[c][given] for c in parts)
        close = (added - numbers[total][given]).abs() <= 0.01 * numbers[total][given].abs() + 0.01
        if close.mean() >= 0.95:
            return total
    return None


def _table(path: Path, header: list[str], data_ref: str) -> list[str]:
    import pandas as pd

    from .stages import read
    from .stages.dates import DATE, date_format

    raw = read.read(path, header, set()).frame
    n = len(raw)
    if n == 0:
        raise DataError(f"{path} has a header but no rows.", "Export the table again with its rows.")
    text = {c: raw[c].astype("string").str.strip() for c in header}
    filled = {c: text[c].notna() & text[c].ne("") for c in header}
    comma = not read.is_parquet(path) and read.sniff(path).delimiter == ";"
    numbers = {c: pd.to_numeric(text[c].str.replace(",", ".", regex=False) if comma else text[c], errors="coerce") for c in header} if not read.is_parquet(path) else {c: pd.to_numeric(raw[c], errors="coerce") for c in header}
    for c in header:  # '$1,234.50', '1.234,50 €': numbers as the run reads them (Dialect.number, signed)
        unread = filled[c] & numbers[c].isna()
        if unread.any():
            signed = text[c][unread].map(lambda v: signed_number(str(v), comma))
            if signed.notna().sum() > numbers[c].notna().sum():
                numbers[c] = numbers[c].where(~unread, pd.to_numeric(signed, errors="coerce"))
    taken: set[str] = {"customer_id"}
    id_column = find_column(usual_names("customer_id"), header)
    if id_column is None:  # a column named like an id whose values are all there and all different
        named_like_id = re.compile(r"(^|[^a-z])(id|no|nr|num|number|code|key)$|customer|member|client|account|e-?mail")
        id_column = next((c for c in header if named_like_id.search(c.lower()) and filled[c].all() and text[c].is_unique), None)
    columns: list[str] = []
    comments: list[str] = []
    display: list[str] = []
    features: list[str] = []
    numeric_names: list[tuple[str, str]] = []  # (feature, column)
    attributes: list[str] = []
    # the mall schema keeps its names, so the bundled rules judge it
    mall = {name: col for name in MALL_FEATURES if (col := find_column(usual_names(name), header)) and col != id_column}
    used = set(mall.values()) | ({id_column} if id_column else set())
    for name, col in mall.items():
        columns.append(f"  {name}: {_yaml_text(col)}")
        numeric_names.append((name, col))
        taken.add(name)
        if norm(col) != CUSTOMER_COLUMNS[name][0]:  # not the mall's own column: no "$...k" or score units
            display.append(f"  {name}: {{label: {_yaml_text(label_from_name(col))}, prefix: \"\", suffix: \"\"}}")
    spend_cols = [c for c in header if c not in used and c.lower().startswith(SPEND_PREFIXES) and numbers[c][filled[c]].notna().all() and filled[c].any()]
    if len(spend_cols) < 2:
        spend_cols = []
    for col in header:
        if col in used:
            continue
        share_numeric = float(numbers[col][filled[col]].notna().mean()) if filled[col].any() else 0.0
        values = text[col][filled[col]]
        distinct = values.nunique()
        if not filled[col].any() or distinct <= 1:
            comments.append(f"#   {col}: left out, {'empty' if not filled[col].any() else 'the same value on every row'}")
            continue
        sample = values.head(2000).tolist()
        if share_numeric < 0.95 and sum(bool(DATE.match(v)) for v in sample) >= 0.95 * len(sample):
            name = feature_name(col, taken) if not col.lower().startswith("dt") else feature_name("days_since_" + col[2:].strip("_"), taken)
            try:
                date_format(sample, col)
                columns.append(f"  {name}: {{days_since: {_yaml_text(col)}}}   # days from this date to the end of the period")
            except ConfigError:
                columns.append(f"  {name}: {{days_since: {_yaml_text(col)}, date_format: \"%d-%m-%Y\"}}   # CHECK: the day/month order cannot be told from the values")
            numeric_names.append((name, col))
            display.append(f"  {name}: {{label: {_yaml_text('Days since ' + label_from_name(col).lower())}, suffix: \" days\"}}")
            continue
        if share_numeric >= 0.95:
            if col in spend_cols:
                continue
            x = numbers[col].dropna()
            if re.search(r"birth|year_?b", col.lower()) and x.between(1880, dt.date.today().year).all():
                name = "age" if "age" not in taken else feature_name(col, taken)
                taken.add(name)
                columns.append(f"  {name}: {{birth_year: {_yaml_text(col)}}}   # age in the report period's year")
                numeric_names.append((name, col))
                continue
            name = feature_name(col, taken)
            columns.append(f"  {name}: {_yaml_text(col)}")
            numeric_names.append((name, col))
            written = text[col][filled[col]].str.lstrip("-")
            percent = bool(written.str.endswith("%").mean() > 0.5)  # '23.5%': read as 23.5, shown with its sign
            sign = next((c for c in "$€£¥" if written.str.startswith(c).mean() > 0.5), "")  # '$1,234.50': shown with its sign
            if label_from_name(name) != label_from_name(col) or percent or sign:
                unit = (', suffix: "%"' if percent else "") + (f", prefix: {_yaml_text(sign)}" if sign else "")
                display.append(f"  {name}: {{label: {_yaml_text(label_from_name(col))}{unit}}}")
            continue
        if distinct <= MAX_ATTRIBUTE_VALUES:
            name = feature_name("gender" if col == find_column(usual_names("gender"), header) else col, taken)
            columns.append(f"  {name}: {_yaml_text(col)}   # text: shown per segment, never clustered")
            attributes.append(name)
            continue
        comments.append(f"#   {col}: left out, free text ({distinct} different values)")
    categories: list[str] = []
    spend = None
    if spend_cols:
        # one vocabulary: the spend total is `spending`, the feature the bundled rules judge (unless the
        # table has a spending score of its own, as the mall data does)
        spend = "spending" if "spending" not in taken else feature_name("total_spend", taken)
        taken.add(spend)
        display.append(f"  {spend}: {{label: Total spend, money: true}}")
        total = _total_of_the_others(spend_cols, numbers)
        if total is not None:  # a total column beside its parts: the total is the spend, the parts its mix
            spend_cols = [c for c in spend_cols if c != total]
            columns.append(f"  {spend}: {_yaml_text(total)}   # the total; the other spend columns add up to it")
        else:
            columns.append(f"  {spend}: {{sum: [{', '.join(_yaml_text(c) for c in spend_cols)}]}}   # spend over all categories")
        numeric_names.insert(0, (spend, total or spend_cols[0]))
        for c in spend_cols:
            label = re.sub(r"^(mnt|spend|amount|amt|sales|revenue)_?", "", c, flags=re.I) or c
            label = label_from_name(re.sub(r"Products?$|Prods$", "", label) or label)
            categories.append(f"  {_yaml_text(label)}: {_yaml_text(c)}")
    # what to cluster on: spend first, then measures with some spread, not yes/no flags
    def spread(name: str, col: str) -> bool:
        """More than two values: a measure, not a yes/no flag."""
        return bool(numbers[col].dropna().nunique() > 2)

    preferred = sorted(
        (p for p in numeric_names if spread(*p)),
        key=lambda p: (p[0] not in MALL_CLUSTERED, not any(h in p[0] for h in NAME_HINTS), [q[0] for q in numeric_names].index(p[0])),
    )
    if set(MALL_CLUSTERED) <= {p[0] for p in numeric_names}:
        features = list(MALL_CLUSTERED)
    else:
        features = [p[0] for p in preferred[:MAX_FEATURES]]
    if not features:
        raise DataError(f"{path}: no numeric column to cluster on.", "reportgen segments customers by numbers (spend, visits, recency...); add such columns.")
    skewed = []
    for name, col in numeric_names:
        if name in features and col in numbers and name not in ("age",) and not name.startswith("days_since"):
            s = _skew(numbers[col].dropna())
            if abs(s) > 1:
                skewed.append(f"{name} (skew {s:.1f})")
    lines = [f"data: {_yaml_text(data_ref)}", ""]
    lines.append("columns:                     # feature -> a column, or {sum: [...]}, {ratio: [a, b]}, {birth_year: col}, {days_since: col}")
    if id_column:
        lines.append(f"  customer_id: {_yaml_text(id_column)}")
    lines += columns
    if comments:
        lines += ["", "# Columns left out:"] + comments
    lines += ["", f"features: [{', '.join(features)}]   # clustered; every other feature is profiled per segment"]
    if skewed:
        lines.append(f"# Skewed, so clustered on their logarithm (scale: auto): {', '.join(skewed)}")
    if categories:
        lines += ["", "categories:                  # each segment's mix of spend"] + categories
    if display:
        lines += ["", "display:                     # how features read in the documents"] + display
    if spend:
        lines += ["", f"value: {spend}                # a segment's revenue is its customers' total {spend}"]
    answers = _responses(numeric_names, numbers)
    if answers:
        lines += ["", f"responses: [{', '.join(answers)}]   # past campaigns' yes/no answers, oldest first: the last is 'the last campaign'"]
    sign = _currency_sign([text[c] for c in spend_cols] + [text[col] for _, col in numeric_names if col in text])
    lines += ["", *_currency_lines(sign)]
    if set(MALL_CLUSTERED) <= {p[0] for p in numeric_names}:
        lines += ["", "rules: mall                  # the bundled pack judges income and spending (and age): it fits the features above"]
    else:
        lines += [
            "",
            "# No bundled rule pack judges these features, so the segments are named from the data",
            "# (\"High spend, low recency\"). Write your own rules and campaigns (see",
            "# rules/mall/*.yaml in reportgen's source for the schema) and point to their folder:",
            "# rules: my_rules",
        ]
    return lines


RESPONSE_NAME = re.compile(r"accept|respon|convert|campaign|cmp|redeem", re.I)


def _responses(numeric_names: list[tuple[str, str]], numbers: dict[str, Any]) -> list[str]:
    """Yes/no (0/1) columns named like a campaign's answer (AcceptedCmp3, Response): oldest first,
    by the number in the name, the unnumbered (the latest, as Response) last."""
    found = []
    for name, col in numeric_names:
        values = numbers[col].dropna() if col in numbers else None
        if values is not None and len(values) and RESPONSE_NAME.search(col) and values.isin([0, 1]).all() and values.nunique() == 2:
            digits = re.findall(r"\d+", col)
            found.append((not digits, int(digits[-1]) if digits else 0, name))
    return [name for _, _, name in sorted(found)]


CURRENCY_WORDS = {"eur": "€", "euro": "€", "usd": "$", "gbp": "£", "jpy": "¥", "chf": "CHF", "sek": "SEK", "nok": "NOK", "dkk": "DKK", "aud": "AUD", "cad": "CAD"}


def _currency_sign(columns: list[Any]) -> str:
    """The currency sign most money values are written with ('$1,234.50', '1.234,50 €'), if any."""
    counts: dict[str, int] = {}
    for values in columns:
        written = values.dropna().astype(str).head(2000)
        for sign in "$€£¥":
            counts[sign] = counts.get(sign, 0) + int(written.str.contains(sign, regex=False).sum())
    best = max(counts, key=lambda k: counts[k]) if counts else ""
    return best if counts.get(best, 0) else ""


def currency_of_header(header: list[str]) -> str:
    """A currency named in a column's words ('Net Total (EUR)', 'amount_usd'), if exactly one is."""
    from .vocabulary import words

    found = {CURRENCY_WORDS[w] for h in header for w in words(h) if w in CURRENCY_WORDS}
    return found.pop() if len(found) == 1 else ""


def draft(data: Path, out: Path) -> str:
    """The settings text for `data`, with paths relative to where it will be written."""
    from .stages import read, transactions

    header = read.header(data)
    try:
        data_ref = os.path.relpath(data.resolve(), out.resolve().parent)
    except ValueError:
        data_ref = str(data.resolve())
    intro = [
        f"# reportgen settings for {data.name}, drafted by `reportgen init` on {dt.date.today().isoformat()}.",
        "# Read it, change what you like, then: reportgen run --config " + out.name,
        "# Relative paths are relative to this file. All settings and their defaults: reportgen/config.py.",
        "",
    ]
    if transactions.recognise(header, Settings()):
        body = _order_log(data, header, data_ref)
    elif (declared := _log_without_order_ids(data, header)) is not None:
        body = _order_log(data, header, data_ref, declared)
    else:
        body = _table(data, header, data_ref)
    return "\n".join(intro + body + [""])


def _log_without_order_ids(path: Path, header: list[str]) -> Settings | None:
    """Settings for an order log that has no order id column, if the file is one: a customer id, a
    date and a value recognised by name, and customer ids that repeat (in a customer table each
    customer has one row)."""
    from .config import Transactions
    from .stages import read, transactions

    declared = Settings(transactions=Transactions())
    try:
        cols = transactions.resolve(header, declared, str(path))
    except DataError:
        return None
    ids = read.read(path, header, set()).frame[cols.customer_id].astype("string").str.strip()
    ids = ids[ids.notna() & ids.ne("")]
    return declared if len(ids) and not ids.is_unique else None


def write(data: Path, out: Path, force: bool = False) -> Path:
    """Write the draft to `out`; an existing file is kept unless `force`. The draft is checked by
    loading it as settings, so it runs as written."""
    from .config import load_settings

    if out.exists() and not force:
        raise ConfigError(f"{out} already exists.", "Choose another --out, or add --force to replace it.")
    text = draft(data, out)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        settings = load_settings(tmp)
        from .stages import derive, read
        from .stages.load import kind

        if kind(settings) == "customers":
            derive.plan(settings, read.header(settings.data_path), settings.data_path)
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, out)
    return out
