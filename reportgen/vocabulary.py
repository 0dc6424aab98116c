"""The names reportgen knows without being told: the well-known features, the usual column names
behind them (mall-like customer tables and order logs), and which features are clustered, valued or
kept out of the clustering by default. Every module asks here rather than spelling a list again."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .suggest import norm

# A feature's name as settings, rule files and outputs write it.
FEATURE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

# The mall schema, used when a file is recognised without any `columns:` settings, and the two of its
# features clustered by default (age describes a segment; the classic analysis maps income x spending).
MALL_FEATURES: tuple[str, ...] = ("age", "income", "spending")
MALL_CLUSTERED: tuple[str, ...] = ("income", "spending")
# Features an order log gives every customer (stages/transactions.py), and those clustered by default.
TRANSACTION_FEATURES: tuple[str, ...] = ("recency_days", "frequency", "monetary", "tenure_days", "avg_order_value", "return_rate")
RFM_FEATURES: tuple[str, ...] = ("recency_days", "frequency", "monetary")
# Attributes never clustered on unless the settings list them in features (the appendix then says so).
SENSITIVE_BY_DEFAULT: tuple[str, ...] = ("gender", "sex", "genre", "ethnicity", "religion", "race")
# The feature that measures a customer's value ("the most valuable segment"), first present wins.
VALUE_FEATURES: tuple[str, ...] = ("spending", "monetary", "spend", "total_spend", "revenue", "sales", "income")

# A customer table's columns recognised without settings, compared after norm() ("Annual Income (k$)"
# -> "annualincomek"). The first name of each is the classic mall data's own column.
# A customer's id, in a customer table and in an order log alike.
CUSTOMER_ID: tuple[str, ...] = (
    "customerid", "customer", "customerno", "customernumber", "customercode", "custid", "clientid", "client", "clientno",
    "memberid", "memberno", "membernumber", "userid", "accountid", "accountno", "buyerid", "shopperid",
    "customeremail", "email", "emailaddress",  # shops that key customers by e-mail; last, so an id column wins
)

CUSTOMER_COLUMNS: dict[str, tuple[str, ...]] = {
    "customer_id": (*CUSTOMER_ID, "id"),  # a bare "id" only in a customer table: in an order log it may number the lines
    "gender": ("gender", "genre", "sex"),
    "age": ("age",),
    "income": ("annualincomek", "annualincome", "income", "annualincomeusd"),
    "spending": ("spendingscore1100", "spendingscore", "spending", "score"),
}

# An order log's columns by role, recognised without settings, compared after norm() ("Customer ID" -> "customerid").
ORDER_COLUMNS: dict[str, tuple[str, ...]] = {
    "customer_id": CUSTOMER_ID,
    "order_id": ("invoiceno", "invoice", "invoiceid", "invoicenumber", "orderid", "order", "orderno", "ordernumber",
                 "transactionid", "transaction", "transactionno", "receiptid", "receiptno", "receipt", "basketid", "billno"),
    "date": ("invoicedate", "orderdate", "transactiondate", "purchasedate", "saledate", "date", "datetime", "timestamp",
             "orderdatetime", "invoicedatetime", "createdat", "orderedat"),
    "quantity": ("quantity", "qty", "units", "unitssold", "quantityordered"),
    "price": ("unitprice", "price", "priceeach", "itemprice", "saleprice", "salesprice", "priceperunit"),
    "amount": ("amount", "lineamount", "linetotal", "linevalue", "total", "totalprice", "totalamount", "totalvalue", "sales",
               "salesamount", "revenue", "value", "netamount"),
    "product": ("description", "productname", "product", "itemname", "itemdescription", "productdescription", "item",
                "stockcode", "sku", "productid", "itemid", "productcode", "article"),
    "category": ("category", "productcategory", "categoryname", "department", "productline", "productgroup", "itemcategory"),
}
ORDER_ROLES: tuple[str, ...] = tuple(ORDER_COLUMNS)

# When no usual name matches, an order log's column is recognised by its words ('Sales Order',
# 'Buyer Ref', 'Ordered At', 'Net Total (EUR)'): any date word makes a date (and nothing else); for the
# other roles the last word says what the column is ('Sales Order' is an order, 'Order Total' an
# amount), or it is an id word after a role word ('Order Number', 'Client Ref'). Trailing currency
# and tax words are ignored; a name with a summary word ('Days Since Last Order', 'First Order Date',
# 'Average Order Value') describes a customer, not an order line, and is never taken.
SUMMARY_WORDS = frozenset({"since", "last", "first", "days", "count", "avg", "average", "mean", "per", "min", "max", "lifetime"})
DATE_WORDS = frozenset({"date", "datetime", "time", "timestamp", "dt", "day", "at", "on", "when"})
ID_WORDS = frozenset({"id", "no", "nr", "num", "number", "ref", "reference", "code", "key"})
UNIT_WORDS = frozenset({"eur", "usd", "gbp", "chf", "jpy", "sek", "nok", "dkk", "aud", "cad", "incl", "excl", "vat", "tax"})
ORDER_WORDS: dict[str, frozenset[str]] = {
    "customer_id": frozenset({"customer", "client", "buyer", "member", "shopper", "account", "purchaser", "cust", "user", "patron"}),
    "order_id": frozenset({"order", "invoice", "transaction", "receipt", "basket", "bill", "txn", "ticket", "sale"}),
    "quantity": frozenset({"quantity", "qty", "units", "pieces", "pcs"}),
    "price": frozenset({"price"}),
    "amount": frozenset({"total", "amount", "revenue", "sales", "value", "paid", "net", "gross", "turnover", "spend", "spent", "subtotal"}),
    "product": frozenset({"product", "item", "sku", "article", "description"}),
    "category": frozenset({"category", "department", "group", "family"}),
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def words(text: str) -> list[str]:
    """A column name's words, in lower case: 'OrderedAt', 'ordered_at' and 'Ordered At' -> ['ordered', 'at']."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return [w for w in re.split(r"[^a-z0-9]+", _CAMEL.sub(" ", plain).lower()) if w]


def find_by_words(role: str, header: Iterable[str]) -> str | None:
    """The first header column whose words mark it as the order log's `role` (see ORDER_WORDS)."""
    for column in header:
        ws = words(column)
        while len(ws) > 1 and ws[-1] in UNIT_WORDS:
            ws.pop()
        if not ws or any(w in SUMMARY_WORDS for w in ws):
            continue
        dated = any(w in DATE_WORDS for w in ws)
        if role == "date":
            if dated:
                return column
            continue
        if dated or role not in ORDER_WORDS:
            continue
        marks = ORDER_WORDS[role]
        if ws[-1] in marks or (len(ws) > 1 and ws[-1] in ID_WORDS and ws[-2] in marks):
            return column
    return None


def find_column(names: Iterable[str], header: Iterable[str]) -> str | None:
    """The header column that is one of the usual names (in their order of preference), compared
    after norm(); of two columns that read alike, the file's first."""
    by_norm: dict[str, str] = {}
    for column in header:
        by_norm.setdefault(norm(column), column)
    return next((by_norm[n] for n in names if n in by_norm), None)


def usual_names(feature: str) -> tuple[str, ...]:
    """A customer-table feature's usual column names; a name not in the table stands for itself."""
    return CUSTOMER_COLUMNS.get(feature, (norm(feature),))


def feature_name(text: str, taken: set[str], split_words: bool = True, prefix: str = "") -> str:
    """A valid feature name for any text, not yet in `taken` (and then added to it):
    'Annual Income (k$)' -> 'annual_income_k', 'MntWines' -> 'mnt_wines', 'CAFÉ' -> 'cafe'.
    split_words=False keeps 'MntWines' -> 'mntwines' (the order log's spend_ columns, named so since)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    if split_words:
        plain = _CAMEL.sub("_", plain)
    base = prefix + (re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")[:40] or "feature")
    if not base[0].isalpha():
        base = f"f_{base}"
    name, i = base, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name
