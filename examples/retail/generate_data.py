"""Build the retail example's source database: a small, deterministic shop in DuckDB.

    python examples/retail/generate_data.py [PATH] [--scale 1.0]

Creates (or overwrites) PATH, by default examples/retail/warehouse.duckdb, with five source
tables in schema `main`, their primary and foreign keys, and a comment on every table and
column (the model only ever sees metadata, so the comments are part of the example).

Everything is derived from `random.Random(42)` and fixed reference dates: the same scale
gives the same database, byte for byte in content, on every machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
DEFAULT_PATH = HERE / "warehouse.duckdb"
SEED = 42

# Fixed reference dates: nothing depends on the clock.
SIGNUP_START = dt.date(2020, 1, 1)
SIGNUP_END = dt.date(2024, 6, 30)
ORDERS_END = dt.date(2024, 12, 31)

BASE_CUSTOMERS = 1_000
BASE_PRODUCTS = 200
BASE_ORDERS = 3_000
BASE_ORDER_ITEMS = 8_000
TEST_CUSTOMER_SHARE = 0.01  # ~10 test accounts at scale 1

COUNTRIES: list[tuple[str, str, str]] = [
    ("US", "United States", "North America"),
    ("CA", "Canada", "North America"),
    ("MX", "Mexico", "North America"),
    ("BR", "Brazil", "South America"),
    ("AR", "Argentina", "South America"),
    ("CL", "Chile", "South America"),
    ("GB", "United Kingdom", "Europe"),
    ("DE", "Germany", "Europe"),
    ("FR", "France", "Europe"),
    ("NL", "Netherlands", "Europe"),
    ("ES", "Spain", "Europe"),
    ("IT", "Italy", "Europe"),
    ("SE", "Sweden", "Europe"),
    ("PL", "Poland", "Europe"),
    ("JP", "Japan", "Asia Pacific"),
    ("KR", "South Korea", "Asia Pacific"),
    ("IN", "India", "Asia Pacific"),
    ("SG", "Singapore", "Asia Pacific"),
    ("AU", "Australia", "Asia Pacific"),
    ("ZA", "South Africa", "Africa"),
]
# Where customers live: most in a few big markets.
COUNTRY_WEIGHTS = [30, 6, 4, 5, 2, 1, 10, 9, 7, 3, 4, 3, 2, 2, 4, 2, 3, 1, 3, 1]

FIRST_NAMES = [
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kara",
    "Liam",
    "Maya",
    "Nils",
    "Olga",
    "Pedro",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aiko",
    "Bruno",
    "Chloe",
    "Dmitri",
]
LAST_NAMES = [
    "Smith",
    "Müller",
    "Garcia",
    "Rossi",
    "Dubois",
    "Tanaka",
    "Kowalski",
    "Silva",
    "Jansen",
    "Nilsson",
    "Kim",
    "Patel",
    "Brown",
    "Novak",
    "Lopez",
    "Schmidt",
    "Moreau",
    "Sato",
    "Johansson",
    "O'Brien",
    "Fischer",
    "Costa",
    "Wong",
    "Singh",
    "Evans",
]
LOYALTY_TIERS = ["silver", "gold", "platinum"]  # NULL means "not enrolled"
LOYALTY_WEIGHTS = [55, 30, 15]

CATEGORIES: dict[str, tuple[list[str], float, float]] = {
    # category: (product nouns, min price, max price)
    "apparel": (["T-Shirt", "Hoodie", "Jacket", "Socks", "Cap", "Jeans"], 6.0, 120.0),
    "footwear": (["Sneaker", "Boot", "Sandal", "Trail Runner"], 25.0, 180.0),
    "home": (["Mug", "Lamp", "Cushion", "Blanket", "Vase", "Candle"], 4.0, 90.0),
    "electronics": (["Headphones", "Charger", "Speaker", "Keyboard", "Mouse"], 9.0, 250.0),
    "outdoor": (["Tent", "Backpack", "Water Bottle", "Headlamp", "Sleeping Bag"], 8.0, 220.0),
    "grocery": (["Coffee Beans", "Green Tea", "Olive Oil", "Dark Chocolate"], 3.0, 30.0),
}
ADJECTIVES = [
    "Classic",
    "Urban",
    "Alpine",
    "Eco",
    "Pro",
    "Lite",
    "Vintage",
    "Nordic",
    "Sunset",
    "Core",
]

STATUSES = ["placed", "shipped", "delivered", "cancelled", "returned"]
STATUS_WEIGHTS = [5, 10, 62, 10, 13]
CHANNELS = ["web", "mobile_app", "store", "marketplace"]
CHANNEL_WEIGHTS = [45, 30, 15, 10]
DISCOUNTS = [
    Decimal("0.00"),
    Decimal("5.00"),
    Decimal("10.00"),
    Decimal("15.00"),
    Decimal("20.00"),
    Decimal("25.00"),
]
DISCOUNT_WEIGHTS = [60, 12, 12, 6, 6, 4]

DDL = """
CREATE TABLE countries (
    country_code VARCHAR(2) PRIMARY KEY,
    country_name VARCHAR NOT NULL,
    region       VARCHAR NOT NULL
);
CREATE TABLE customers (
    customer_id  INTEGER PRIMARY KEY,
    first_name   VARCHAR NOT NULL,
    last_name    VARCHAR NOT NULL,
    email        VARCHAR NOT NULL,
    phone        VARCHAR,
    country_code VARCHAR(2) NOT NULL REFERENCES countries (country_code),
    signup_date  VARCHAR NOT NULL,
    is_test      BOOLEAN NOT NULL,
    loyalty_tier VARCHAR
);
CREATE TABLE products (
    product_id   INTEGER PRIMARY KEY,
    sku          VARCHAR NOT NULL,
    product_name VARCHAR NOT NULL,
    category     VARCHAR NOT NULL,
    unit_price   DECIMAL(10,2) NOT NULL,
    is_active    BOOLEAN NOT NULL
);
CREATE TABLE orders (
    order_id    INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (customer_id),
    order_date  DATE NOT NULL,
    status      VARCHAR NOT NULL,
    channel     VARCHAR NOT NULL
);
CREATE TABLE order_items (
    order_id     INTEGER NOT NULL REFERENCES orders (order_id),
    line_no      INTEGER NOT NULL,
    product_id   INTEGER NOT NULL REFERENCES products (product_id),
    quantity     INTEGER NOT NULL,
    unit_price   DECIMAL(10,2) NOT NULL,
    discount_pct DECIMAL(5,2) NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
"""

TABLE_COMMENTS = {
    "countries": "Reference list of the countries the shop sells to, one row per ISO country.",
    "customers": "Registered shop customers, one row per account, internal test accounts included.",
    "products": "Product catalogue, one row per sellable item (SKU), active or discontinued.",
    "orders": "Customer orders (order headers), one row per checkout.",
    "order_items": "Order lines: the products of an order, one row per line of an order.",
}

COLUMN_COMMENTS = {
    "countries": {
        "country_code": "ISO 3166-1 alpha-2 country code, e.g. 'US', 'DE'.",
        "country_name": "Country name in English.",
        "region": "Sales region the country belongs to, e.g. 'Europe', 'North America'.",
    },
    "customers": {
        "customer_id": "Customer account id (surrogate key from the shop system).",
        "first_name": "Given name as typed at signup; raw, may have leading/trailing spaces.",
        "last_name": "Family name as typed at signup; raw, may have leading/trailing spaces.",
        "email": "Login e-mail address, lower case, unique per account.",
        "phone": "Phone number as typed, free format; NULL when not given.",
        "country_code": "Billing address country (ISO code); references countries.country_code.",
        "signup_date": "Date the account was created, stored as text in 'YYYY-MM-DD' format.",
        "is_test": "TRUE for internal QA/test accounts that must be excluded from reporting.",
        "loyalty_tier": "Loyalty tier: 'silver', 'gold' or 'platinum'; NULL when not enrolled.",
    },
    "products": {
        "product_id": "Product id (surrogate key).",
        "sku": "Stock keeping unit code, unique, e.g. 'APP-00012'.",
        "product_name": "Product name shown in the shop.",
        "category": "Product category in lower case, e.g. 'apparel', 'electronics'.",
        "unit_price": "Current list price per unit, in USD.",
        "is_active": "FALSE when the product is discontinued and no longer sold.",
    },
    "orders": {
        "order_id": "Order id (surrogate key).",
        "customer_id": "Customer who placed the order; references customers.customer_id.",
        "order_date": "Calendar date the order was placed.",
        "status": "Order status: 'placed', 'shipped', 'delivered', 'cancelled' or 'returned'.",
        "channel": "Sales channel: 'web', 'mobile_app', 'store' or 'marketplace'.",
    },
    "order_items": {
        "order_id": "Order the line belongs to; references orders.order_id.",
        "line_no": "Line number within the order, starting at 1.",
        "product_id": "Product sold on this line; references products.product_id.",
        "quantity": "Number of units sold on this line (at least 1).",
        "unit_price": "Price per unit charged on this line, in USD, before discount.",
        "discount_pct": "Discount on this line as a percentage from 0 to 100 (10.00 means 10 %).",
    },
}


def _scaled(base: int, scale: float) -> int:
    return max(1, round(base * scale))


def _date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def _customers(rng: random.Random, n: int) -> list[tuple]:
    codes = [c[0] for c in COUNTRIES]
    n_test = max(2, round(n * TEST_CUSTOMER_SHARE))
    test_ids = set(rng.sample(range(1, n + 1), n_test))
    rows = []
    for cid in range(1, n + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        is_test = cid in test_ids
        local = f"{first}.{last}".lower().replace("'", "").replace("ü", "ue")
        email = f"qa+{cid}@shop.example" if is_test else f"{local}{cid}@mail.example"
        # Names come from a web form: about 8 % carry stray spaces.
        roll = rng.random()
        if roll < 0.03:
            first = f" {first}"
        elif roll < 0.06:
            first = f"{first}  "
        elif roll < 0.08:
            last = f"  {last} "
        phone = (
            None
            if rng.random() < 0.15
            else f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        )
        country = rng.choices(codes, COUNTRY_WEIGHTS)[0]
        signup = _date_between(rng, SIGNUP_START, SIGNUP_END).isoformat()
        tier = None if rng.random() < 0.25 else rng.choices(LOYALTY_TIERS, LOYALTY_WEIGHTS)[0]
        if is_test:
            first, last = "Test", f"User {cid}"
        rows.append((cid, first, last, email, phone, country, signup, is_test, tier))
    return rows


def _products(rng: random.Random, n: int) -> list[tuple]:
    rows = []
    names = list(CATEGORIES)
    for pid in range(1, n + 1):
        category = names[(pid - 1) % len(names)]
        nouns, lo, hi = CATEGORIES[category]
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(nouns)}"
        # Prices like 19.99, 24.50, 7.00 - skewed towards the cheap end.
        raw = lo + (hi - lo) * rng.random() ** 2
        cents = rng.choice([0.99, 0.49, 0.00, 0.50, 0.95])
        price = Decimal(f"{int(raw) + cents:.2f}")
        sku = f"{category[:3].upper()}-{pid:05d}"
        is_active = rng.random() >= 0.1
        rows.append((pid, sku, name, category, price, is_active))
    return rows


def _orders(rng: random.Random, n: int, customers: list[tuple]) -> list[tuple]:
    # Customers order at very different rates: a long tail, some never order.
    weights = [rng.choice([0, 0, 1, 1, 2, 3, 5, 8]) for _ in customers]
    test_ids = [c[0] for c in customers if c[7]]
    for i, c in enumerate(customers):
        if c[7]:
            weights[i] = 4  # test accounts place orders too, so the filter matters
    ids = [c[0] for c in customers]
    signup = {c[0]: dt.date.fromisoformat(c[6]) for c in customers}
    owners = rng.choices(ids, weights, k=n)
    # Guarantee at least one order for every test account.
    for slot, tid in enumerate(test_ids[:n]):
        owners[slot * 7 % n] = tid
    rows = []
    for oid, cid in enumerate(owners, start=1):
        when = _date_between(rng, max(signup[cid], dt.date(2022, 1, 1)), ORDERS_END)
        status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
        if status in ("placed", "shipped") and when < dt.date(2024, 12, 1):
            status = "delivered"  # only recent orders are still in flight
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        rows.append((oid, cid, when, status, channel))
    return rows


def _order_items(
    rng: random.Random, n: int, orders: list[tuple], products: list[tuple]
) -> list[tuple]:
    order_ids = [o[0] for o in orders]
    lines = {oid: 1 for oid in order_ids}  # every order has at least one line
    for oid in rng.choices(order_ids, k=max(0, n - len(order_ids))):
        lines[oid] += 1
    rows = []
    for oid in order_ids:
        picked = rng.sample(products, min(lines[oid], len(products)))
        for line_no, product in enumerate(picked, start=1):
            quantity = rng.choices([1, 2, 3, 4, 6], [60, 22, 10, 5, 3])[0]
            price = product[4]
            if rng.random() < 0.1:  # charged an older price
                price = (price * Decimal("1.10")).quantize(Decimal("0.01"))
            discount = rng.choices(DISCOUNTS, DISCOUNT_WEIGHTS)[0]
            # Keep the net amount free of exact half-cent ties, so that any correct
            # rounding (decimal or floating point) of "qty * price less discount" agrees.
            ten_thousandths = quantity * price * (100 - discount) * 100  # net amount in 1/10000 $
            if ten_thousandths % 100 == 50:
                discount = Decimal("0.00")
            rows.append((oid, line_no, product[0], quantity, price, discount))
    return rows


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[tuple], chunk: int = 500
) -> None:
    if not rows:
        return
    width = len(rows[0])
    placeholders = "(" + ", ".join(["?"] * width) + ")"
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        params = [value for row in part for value in row]
        con.execute(f"INSERT INTO {table} VALUES " + ", ".join([placeholders] * len(part)), params)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _comments(con: duckdb.DuckDBPyConnection) -> None:
    for table, comment in TABLE_COMMENTS.items():
        con.execute(f"COMMENT ON TABLE {table} IS {_quote(comment)}")
        for column, text in COLUMN_COMMENTS[table].items():
            con.execute(f"COMMENT ON COLUMN {table}.{column} IS {_quote(text)}")


def build_sources(path: Path, scale: float = 1.0) -> None:
    """Create (or overwrite) the DuckDB file at `path` with the retail source tables.

    `scale` multiplies every row count except the country list (for benchmarks).
    """
    path = Path(path)
    for stale in (path, path.with_name(path.name + ".wal")):
        if stale.exists():
            stale.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)

    rng = random.Random(SEED)
    customers = _customers(rng, _scaled(BASE_CUSTOMERS, scale))
    products = _products(rng, _scaled(BASE_PRODUCTS, scale))
    orders = _orders(rng, _scaled(BASE_ORDERS, scale), customers)
    items = _order_items(rng, max(len(orders), _scaled(BASE_ORDER_ITEMS, scale)), orders, products)

    con = duckdb.connect(str(path))
    try:
        con.execute(DDL)
        _insert(con, "countries", COUNTRIES)
        _insert(con, "customers", customers)
        _insert(con, "products", products)
        _insert(con, "orders", orders)
        _insert(con, "order_items", items)
        _comments(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply row counts (default 1.0)"
    )
    args = parser.parse_args(argv)
    build_sources(args.path, args.scale)
    con = duckdb.connect(str(args.path), read_only=True)
    try:
        for table in TABLE_COMMENTS:
            count = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            print(f"{table:<12} {count:>8,} rows")
    finally:
        con.close()
    print(f"wrote {args.path}")


if __name__ == "__main__":
    main()
