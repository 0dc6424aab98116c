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


def label_from_name(name: str) -> str:
    """web_share -> 'Web share', MntWines -> 'Mnt wines', NumWebPurchases -> 'Num web purchases'."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").split()
    text = " ".join(w if (w.isupper() and len(w) > 1) else w.lower() for w in words)
    return text[:1].upper() + text[1:]

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
SUMMARY_WORDS = frozenset({
    "since", "last", "first", "days", "count", "avg", "average", "mean", "per", "min", "max", "lifetime", "recent", "latest", "previous", "most",
})
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
# Words that say a column holds something beside the line's value (roles in VALUE_ROLES) or beside
# the day of the sale ('date'), unless a qualifier comes first ('Total after discount', 'Amount incl tax').
VALUE_ROLES = frozenset({"quantity", "price", "amount"})
NOT_VALUE_WORDS = frozenset({
    "discount", "discounts", "tax", "taxes", "vat", "gst", "refund", "refunds", "refunded", "fee", "fees", "shipping",
    "shipment", "delivery", "freight", "postage", "handling", "tip", "tips", "coupon", "voucher", "commission", "cost",
    "costs", "margin", "profit", "deposit", "balance", "credit", "due", "outstanding", "rebate", "cashback", "points",
    "weight", "duty", "duties", "surcharge", "returned", "return", "returns", "cancelled", "canceled",
})
NOT_ORDER_DATE_WORDS = frozenset({
    "ship", "shipped", "shipping", "shipment", "delivery", "delivered", "deliver", "dispatch", "dispatched", "due",
    "refund", "refunded", "return", "returned", "cancel", "cancelled", "canceled", "cancellation", "update", "updated",
    "modified", "birth", "dob", "born", "signup", "signed", "registered", "registration", "expiry", "expires",
    "expiration", "joined", "enrolled",
})
QUALIFIER_WORDS = frozenset({"incl", "including", "inc", "excl", "excluding", "ex", "with", "without", "before", "after", "less", "minus", "plus", "w", "wo"})
# Roles whose best column is chosen by these words, and asked about when two columns tie; the
# others (ids, product, category) take the first fitting column.
CHOSEN_BY_WORDS = ("date", "quantity", "price", "amount")
PREFERRED_WORDS: dict[str, dict[str, int]] = {
    "amount": {"grand": 3, "total": 2, "line": 2, "order": 1, "purchase": 1, "payment": 1, "paid": 1, "gross": 1, "net": 1, "revenue": 1, "sales": 1},
    "price": {"unit": 1, "each": 1, "sale": 1, "selling": 1},
    "date": {"order": 2, "invoice": 2, "purchase": 2, "transaction": 2, "sale": 2, "ordered": 2, "purchased": 2, "sold": 2, "created": 1, "placed": 1},
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def words(text: str) -> list[str]:
    """A column name's words, in lower case: 'OrderedAt', 'ordered_at' and 'Ordered At' -> ['ordered', 'at']."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return [w for w in re.split(r"[^a-z0-9]+", _CAMEL.sub(" ", plain).lower()) if w]


def _role_words(column: str) -> list[str]:
    """A column's words without trailing currency and tax qualifiers ('Net Total (EUR)' -> net, total)."""
    ws = words(column)
    while len(ws) > 1 and ws[-1] in UNIT_WORDS and not (ws[-1] in NOT_VALUE_WORDS and ws[-2] not in QUALIFIER_WORDS):
        ws.pop()
    while len(ws) > 2 and ws[-2] in QUALIFIER_WORDS:
        ws = ws[:-2]  # 'Total incl tax', 'Amount after discount': the qualifier says how, not what
    return ws


def _other_thing(role: str, ws: list[str]) -> bool:
    """A column whose words say it holds something beside the role ('Cart Discount Amount', 'Tax
    Total', 'Shipped At'): never taken for it, whatever its last word."""
    banned = NOT_ORDER_DATE_WORDS if role == "date" else NOT_VALUE_WORDS if role in VALUE_ROLES else frozenset()
    return any(w in banned and (i == 0 or ws[i - 1] not in QUALIFIER_WORDS) for i, w in enumerate(ws))


def fits_by_words(role: str, column: str) -> bool:
    """True when the column's words mark it as the order log's `role` (see ORDER_WORDS)."""
    ws = _role_words(column)
    if not ws or any(w in SUMMARY_WORDS for w in ws) or _other_thing(role, ws):
        return False
    dated = any(w in DATE_WORDS for w in ws)
    if role == "date":
        return dated
    if dated or role not in ORDER_WORDS:
        return False
    marks = ORDER_WORDS[role]
    return ws[-1] in marks or (len(ws) > 1 and ws[-1] in ID_WORDS and ws[-2] in marks)


def find_by_words(role: str, header: Iterable[str]) -> str | None:
    """The first header column whose words mark it as the order log's `role` (see ORDER_WORDS)."""
    return next((c for c in header if fits_by_words(role, c)), None)


def candidates(role: str, header: Iterable[str]) -> list[str]:
    """The columns that may play an order log's `role`, best first, and when the best cannot be told
    from the next, every column tied with it (the caller asks which). A usual name beats a column
    recognised by its words; among the columns recognised by words, the words that say what the
    shop was paid or when it sold ('Order Total Amount' over 'Order Subtotal Amount', 'Grand Total'
    over 'Subtotal', 'Order Date' over 'Paid Date') decide; a column that names another thing
    ('Cart Discount Amount', 'Tax Total', 'Refund Amount', 'Shipped At') is never a candidate."""
    header = list(header)
    exact = [c for c in (find_column(ORDER_COLUMNS[role], header),) if c is not None and not _other_thing(role, _role_words(c))]
    if exact:
        return exact
    fitting = [c for c in header if fits_by_words(role, c)]
    if role not in CHOSEN_BY_WORDS or len(fitting) < 2:
        return fitting[:1]
    weights = PREFERRED_WORDS.get(role, {})
    score = {c: sum(weights.get(w, 0) for w in set(_role_words(c))) for c in fitting}
    best = max(score.values())
    return [c for c in fitting if score[c] == best]


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
