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

from .config import Settings
from .input_settings import input_of
from .currency import currency_of_header, currency_sign, order_currency
from .sql import signed_number
from .errors import ConfigError, DataError, ReportgenError
from .suggest import norm
from .vocabulary import CUSTOMER_COLUMNS, MALL_CLUSTERED, MALL_FEATURES, feature_name, find_column, label_from_name, usual_names

MAX_FEATURES = 5
MAX_ATTRIBUTE_VALUES = 20
SPEND_PREFIXES = ("mnt", "spend", "amount", "amt", "sales", "revenue")
NAME_HINTS = ("spend", "income", "recency", "frequency", "purchase", "order", "visit", "monetary", "value", "tenure", "age", "balance")


def _yaml_text(value: str) -> str:
    """A YAML scalar that stays the same string as a key, a value or an item of [..] or {..}: quoted
    when it needs to be ('no', 'null', 'Spend, total', 'a: b'), plain otherwise ('Annual Income (k$)')."""
    import yaml

    return yaml.safe_dump([value], default_flow_style=True, allow_unicode=True, width=1 << 30).strip()[1:-1]


def _order_log(path: Path, header: list[str], data_ref: str, settings: Settings | None = None) -> list[str]:
    from .stages import order_columns, transactions

    settings = settings or Settings()
    asked = order_columns.questions(header) if settings.transactions is None or not settings.transactions.model_fields_set else {}
    if asked:  # two columns fit a role equally well: draft the first, and say so
        from .config import Transactions

        settings = Settings(transactions=Transactions(**{role: tied[0] for role, tied in asked.items()}))
    cols = transactions.resolve(header, input_of(settings), str(path))
    fields = {k: getattr(cols, k, None) for k in ("customer_id", "order_id", "date", "amount", "quantity", "price", "product", "category")}
    if cols.has_value:
        derived = [
            "# An order log: reportgen derives per customer recency_days, frequency (distinct orders), monetary",
            f"# (sum of {cols.amount if cols.uses_amount else f'{cols.quantity} x {cols.price}'}), tenure_days, avg_order_value and return_rate, then names segments",
            "# with the standard RFM grid (Champions ... Lost).",
        ]
    else:
        derived = [
            "# An order log without a value column (no amount, no quantity and price): reportgen derives per",
            "# customer recency_days, frequency and tenure_days and segments on recency and frequency. Name a",
            "# value column below (amount: <column>) to add monetary value.",
        ]
    lines = [f"data: {_yaml_text(data_ref)}", "", *derived, "transactions:"]
    for key, column in fields.items():
        if column:
            others = ", ".join(_yaml_text(c) for c in asked.get(key, [])[1:])
            lines.append(f"  {key}: {_yaml_text(str(column))}" + (f"   # CHECK: {others} fits as well; keep the right one" if others else ""))
    if not cols.order_id:
        lines.append("  # no order id column: a customer's lines at one date and time count as one order")
    lines += [
        "  # date_format: \"%d/%m/%Y %H:%M\"   # only if the run says the day/month order cannot be told",
        "",
        "rules: rfm                 # the built-in RFM rule pack and its campaigns",
        f"features: [recency_days, frequency{', monetary' if cols.has_value else ''}]",
        "",
    ]
    return lines + _currency_lines(currency_of_header(header) or order_currency(path, header, fields))


def _currency_lines(sign: str) -> list[str]:
    if sign:
        return ["report:", f"  currency: {_yaml_text(sign)}              # found in the data; how money reads in the documents"]
    return ["# report:", "#   currency: \"$\"           # CHECK: the data shows no currency; say how money reads ($, €, £, EUR ...)"]



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


def _label(column: str, longest: int = 60) -> str:
    """A column's readable label, cut to a length a page can lay out."""
    label = label_from_name(column)
    return label if len(label) <= longest else label[: longest - 1].rstrip() + "…"


def _unnamed(header: list[str]) -> dict[str, str]:
    """Columns a settings file cannot name, with why: no name, or a name another column has too
    (the same but for upper and lower case): the run could not tell them apart."""
    out: dict[str, str] = {}
    seen: dict[str, int] = {}
    for name in header:
        seen[name.strip().casefold()] = seen.get(name.strip().casefold(), 0) + 1
    for i, name in enumerate(header):
        if not name.strip():
            out[name] = f"column {i + 1} has no name"
        elif seen[name.strip().casefold()] > 1:
            out[name] = "another column has the same name (but for upper and lower case); rename one to use it"
    return out


def _dated(column: str, sample: list[str], share_numeric: float) -> bool:
    """A column of dates: written with separators (2023-01-05, 05/01/2023), compact (20230105, as
    pandas and databases write them) or, when its name says it is a date, Excel serial days (44931)."""
    import re as _re

    from .stages.dates import COMPACT, DATE, SERIAL
    from .vocabulary import DATE_WORDS, words

    def share(test: Any) -> float:
        return sum(bool(test(v)) for v in sample) / max(len(sample), 1)

    if share_numeric < 0.95 and share(DATE.match) >= 0.95:
        return True
    if share(_re.compile(COMPACT).match) >= 0.95:
        return True
    return bool(set(words(column)) & DATE_WORDS) and share(_re.compile(SERIAL).match) >= 0.95


def _table(path: Path, header: list[str], data_ref: str) -> list[str]:
    import pandas as pd

    from .stages import read
    from .stages.dates import DATE, date_format

    nameless = _unnamed(header)
    header = [c for c in header if c not in nameless]
    raw = read.read(path, header, set()).frame
    n = len(raw)
    if n == 0:
        raise DataError(f"{path} has a header but no rows.", "Export the table again with its rows.")
    text = {c: raw[c].astype("string").str.strip() for c in header}
    filled = {c: text[c].notna() & text[c].ne("") for c in header}
    comma = not read.is_parquet(path) and read.sniff(path).delimiter == ";"
    numbers = {c: pd.to_numeric(text[c].str.replace(",", ".", regex=False) if comma else text[c], errors="coerce") for c in header} if not read.is_parquet(path) else {
        c: pd.to_numeric(raw[c], errors="coerce") if pd.api.types.is_numeric_dtype(raw[c]) and not pd.api.types.is_bool_dtype(raw[c]) else pd.to_numeric(text[c], errors="coerce")
        for c in header  # a Parquet timestamp is a date, not its nanoseconds
    }
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
    comments: list[str] = [f"#   {_yaml_text(c) if c.strip() else '(no name)'}: left out, {why}" for c, why in nameless.items()]
    display: list[str] = []
    features: list[str] = []
    numeric_names: list[tuple[str, str]] = []  # (feature, column)
    attributes: list[str] = []
    # the mall schema keeps its names, so the bundled rules judge it
    mall = {name: col for name in MALL_FEATURES if (col := find_column(usual_names(name), header)) and col != id_column}
    used = set(mall.values()) | ({id_column} if id_column else set())
    for name, col in mall.items():
        columns.append(f"  {_yaml_text(name)}: {_yaml_text(col)}")
        numeric_names.append((name, col))
        taken.add(name)
        if norm(col) != CUSTOMER_COLUMNS[name][0]:  # not the mall's own column: no "$...k" or score units
            display.append(f"  {_yaml_text(name)}: {{label: {_yaml_text(_label(col))}, prefix: \"\", suffix: \"\"}}")
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
        if _dated(col, sample, share_numeric):
            name = feature_name(col, taken) if not col.lower().startswith("dt") else feature_name("days_since_" + col[2:].strip("_"), taken)
            try:
                date_format(sample, col)
                columns.append(f"  {_yaml_text(name)}: {{days_since: {_yaml_text(col)}}}   # days from this date to the end of the period")
            except ConfigError:
                columns.append(f"  {_yaml_text(name)}: {{days_since: {_yaml_text(col)}, date_format: \"%d-%m-%Y\"}}   # CHECK: the day/month order cannot be told from the values")
            numeric_names.append((name, col))
            display.append(f"  {_yaml_text(name)}: {{label: {_yaml_text('Days since ' + _label(col).lower())}, suffix: \" days\"}}")
            continue
        if share_numeric >= 0.95:
            if col in spend_cols:
                continue
            x = numbers[col].dropna()
            if re.search(r"birth|year_?b", col.lower()) and x.between(1880, dt.date.today().year).all():
                name = "age" if "age" not in taken else feature_name(col, taken)
                taken.add(name)
                columns.append(f"  {_yaml_text(name)}: {{birth_year: {_yaml_text(col)}}}   # age in the report period's year")
                numeric_names.append((name, col))
                continue
            name = feature_name(col, taken)
            columns.append(f"  {_yaml_text(name)}: {_yaml_text(col)}")
            numeric_names.append((name, col))
            written = text[col][filled[col]].str.lstrip("-")
            percent = bool(written.str.endswith("%").mean() > 0.5)  # '23.5%': read as 23.5, shown with its sign
            sign = next((c for c in "$€£¥" if written.str.startswith(c).mean() > 0.5), "")  # '$1,234.50': shown with its sign
            if label_from_name(name) != label_from_name(col) or percent or sign:
                unit = (', suffix: "%"' if percent else "") + (f", prefix: {_yaml_text(sign)}" if sign else "")
                display.append(f"  {_yaml_text(name)}: {{label: {_yaml_text(_label(col))}{unit}}}")
            continue
        if distinct <= MAX_ATTRIBUTE_VALUES:
            name = feature_name("gender" if col == find_column(usual_names("gender"), header) else col, taken)
            columns.append(f"  {_yaml_text(name)}: {_yaml_text(col)}   # text: shown per segment, never clustered")
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
            columns.append(f"  {_yaml_text(spend)}: {_yaml_text(total)}   # the total; the other spend columns add up to it")
        else:
            columns.append(f"  {_yaml_text(spend)}: {{sum: [{', '.join(_yaml_text(c) for c in spend_cols)}]}}   # spend over all categories")
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
    lines += ["", f"features: [{', '.join(_yaml_text(f) for f in features)}]   # clustered; every other feature is profiled per segment"]
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
    sign = currency_sign([text[c] for c in spend_cols] + [text[col] for _, col in numeric_names if col in text])
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
    if transactions.is_order_log(data, input_of(Settings())):
        body = _order_log(data, header, data_ref)
    else:
        body = _table(data, header, data_ref)
    return "\n".join(intro + body + [""])


def write(data: Path, out: Path, force: bool = False) -> Path:
    """Write the draft to `out`; an existing file is kept unless `force`. The draft is checked by
    loading it as settings, so it runs as written."""
    from .settings_file import load_settings

    if out.exists() and not force:
        raise ConfigError(f"{out} already exists.", "Choose another --out, or add --force to replace it.")
    text = draft(data, out)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        settings = load_settings(tmp)
        from .stages import derive, read
        from .stages.load import kind

        if kind(input_of(settings)) == "customers":
            derive.plan(input_of(settings), read.header(settings.data_path), settings.data_path)
    except ReportgenError as exc:  # name the file the user will have, never the hidden draft
        tmp.unlink(missing_ok=True)
        raise type(exc)(exc.message.replace(str(tmp), str(out)).replace(tmp.name, out.name), exc.hint) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, out)
    return out
