"""Write the retail example's mapping workbook, mappings/retail.xlsx, the way an analyst would.

    python examples/retail/build_mapping.py [PATH]

The workbook has a cover sheet ("About") before the mapping sheet ("Mapping"). On the
mapping sheet a title sits on row 1, row 2 is blank and the header is on row 3. Each target
table is named once, in a cell merged down over its rows; table-level cells (Join, Filter,
Load) are filled in on a target's first row only; key columns carry a "Y"; a blank row
separates targets. The generated file is committed: it is an input of the example.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent
DEFAULT_PATH = HERE / "mappings" / "retail.xlsx"

HEADERS = [
    "Target Table",
    "Target Column",
    "Target Type",
    "Source Table",
    "Source Column",
    "Transformation Logic",
    "Join",
    "Filter",
    "Key",
    "Load",
    "Tests",
    "Description",
]
WIDTHS = [20, 20, 15, 16, 30, 58, 58, 30, 6, 8, 44, 60]
HEADER_ROW = 3

# One dict per target: table-level cells plus its rows
# (column, type, source table, source column, rule, key, tests, description).
TARGETS: list[dict] = [
    {
        "name": "dim_country",
        "join": "",
        "filter": "",
        "load": "table",
        "rows": [
            (
                "country_code",
                "VARCHAR",
                "countries",
                "country_code",
                "direct",
                "Y",
                "not_null; unique",
                "ISO 3166-1 alpha-2 country code.",
            ),
            (
                "country_name",
                "VARCHAR",
                "countries",
                "country_name",
                "",
                "",
                "not_null",
                "Country name in English.",
            ),
            (
                "region",
                "VARCHAR",
                "countries",
                "region",
                "direct",
                "",
                "",
                "Sales region of the country.",
            ),
        ],
    },
    {
        "name": "dim_customer",
        "join": "",
        "filter": "customers.is_test = false",
        "load": "table",
        "rows": [
            (
                "customer_id",
                "INTEGER",
                "customers",
                "customer_id",
                "direct",
                "Y",
                "not_null; unique",
                "Customer account id.",
            ),
            (
                "full_name",
                "VARCHAR",
                "customers",
                "first_name, last_name",
                "full name = first name + ' ' + last name, each trimmed",
                "",
                "not_null",
                "Display name of the customer.",
            ),
            (
                "email",
                "VARCHAR",
                "customers",
                "email",
                "direct",
                "",
                "not_null",
                "Login e-mail address.",
            ),
            (
                "country_name",
                "VARCHAR",
                "customers",
                "country_code",
                "lookup(countries.country_name on country_code)",
                "",
                "",
                "Name of the customer's billing country.",
            ),
            (
                "signup_date",
                "DATE",
                "customers",
                "signup_date",
                "cast(DATE)",
                "",
                "not_null",
                "Date the account was created (source holds it as text).",
            ),
            (
                "loyalty_tier",
                "VARCHAR",
                "customers",
                "loyalty_tier",
                "coalesce(loyalty_tier, 'none')",
                "",
                "not_null; accepted_values('none','silver','gold','platinum')",
                "Loyalty tier; 'none' when the customer is not enrolled.",
            ),
        ],
    },
    {
        "name": "dim_product",
        "join": "",
        "filter": "",
        "load": "table",
        "rows": [
            (
                "product_id",
                "INTEGER",
                "products",
                "product_id",
                "direct",
                "Y",
                "not_null; unique",
                "Product id.",
            ),
            (
                "sku",
                "VARCHAR",
                "products",
                "sku",
                "direct",
                "",
                "not_null; unique",
                "Stock keeping unit code.",
            ),
            (
                "product_name",
                "VARCHAR",
                "products",
                "product_name",
                "direct",
                "",
                "",
                "Product name shown in the shop.",
            ),
            (
                "category",
                "VARCHAR",
                "products",
                "category",
                "sql: upper(products.category)",
                "",
                "not_null",
                "Product category in upper case, e.g. APPAREL.",
            ),
            (
                "unit_price",
                "DECIMAL(10,2)",
                "products",
                "unit_price",
                "cast(DECIMAL(10,2))",
                "",
                "not_null",
                "Current list price per unit, USD.",
            ),
            (
                "is_active",
                "BOOLEAN",
                "products",
                "is_active",
                "direct",
                "",
                "",
                "FALSE when the product is discontinued.",
            ),
        ],
    },
    {
        "name": "fct_order_line",
        "join": "JOIN orders ON orders.order_id = order_items.order_id",
        "filter": "orders.status <> 'cancelled'",
        "load": "table",
        "rows": [
            (
                "order_id",
                "INTEGER",
                "order_items",
                "order_id",
                "direct",
                "Y",
                "not_null",
                "Order id.",
            ),
            (
                "line_no",
                "INTEGER",
                "order_items",
                "line_no",
                "direct",
                "Y",
                "not_null",
                "Line number within the order.",
            ),
            (
                "customer_id",
                "INTEGER",
                "orders",
                "customer_id",
                "direct",
                "",
                "not_null",
                "Customer who placed the order.",
            ),
            (
                "order_date",
                "DATE",
                "orders",
                "order_date",
                "direct",
                "",
                "not_null",
                "Date the order was placed.",
            ),
            (
                "product_id",
                "INTEGER",
                "order_items",
                "product_id",
                "direct",
                "",
                "not_null; relationships(dim_product.product_id)",
                "Product sold on the line.",
            ),
            (
                "quantity",
                "INTEGER",
                "order_items",
                "quantity",
                "direct",
                "",
                "not_null",
                "Units sold.",
            ),
            (
                "net_amount",
                "DECIMAL(12,2)",
                "order_items",
                "quantity, unit_price, discount_pct",
                "quantity times unit price less the discount percentage, rounded to 2 decimals",
                "",
                "not_null",
                "Line revenue after discount, USD.",
            ),
            (
                "status",
                "VARCHAR",
                "orders",
                "status",
                "direct",
                "",
                "not_null",
                "Order status (cancelled orders are left out).",
            ),
        ],
    },
    {
        "name": "fct_customer_ltv",
        "join": "",
        "filter": "",
        "load": "table",
        "rows": [
            (
                "customer_id",
                "INTEGER",
                "fct_order_line",
                "customer_id",
                "direct",
                "Y",
                "not_null; unique",
                "Customer id; one row per customer with at least one non-cancelled order.",
            ),
            (
                "order_count",
                "BIGINT",
                "fct_order_line",
                "order_id",
                "sql: count(distinct fct_order_line.order_id)",
                "",
                "not_null",
                "Number of distinct non-cancelled orders.",
            ),
            (
                "lifetime_value",
                "DECIMAL(14,2)",
                "fct_order_line",
                "net_amount, status",
                "sum of net amount over all non-returned order lines",
                "",
                "not_null",
                "Revenue kept from the customer, USD.",
            ),
            (
                "first_order_date",
                "DATE",
                "fct_order_line",
                "order_date",
                "sql: min(fct_order_line.order_date)",
                "",
                "not_null",
                "Date of the customer's first order.",
            ),
            (
                "customer_segment",
                "VARCHAR",
                "fct_order_line",
                "net_amount, status",
                "'high' when lifetime value is at least 1000, 'medium' from 250, else 'low'",
                "",
                "not_null; accepted_values('high','medium','low')",
                "Value segment derived from the lifetime value.",
            ),
        ],
    },
    {
        "name": "rpt_revenue_by_country",
        "join": "JOIN dim_customer ON dim_customer.customer_id = fct_customer_ltv.customer_id",
        "filter": "",
        "load": "view",
        "rows": [
            (
                "country_name",
                "VARCHAR",
                "dim_customer",
                "country_name",
                "direct",
                "Y",
                "unique",
                "Billing country of the customers.",
            ),
            (
                "customer_count",
                "BIGINT",
                "fct_customer_ltv",
                "customer_id",
                "sql: count(distinct fct_customer_ltv.customer_id)",
                "",
                "not_null",
                "Real (non-test) customers with at least one order.",
            ),
            (
                "high_value_customers",
                "BIGINT",
                "fct_customer_ltv",
                "customer_segment",
                "sql: count_if(fct_customer_ltv.customer_segment = 'high')",
                "",
                "not_null",
                "Customers in the 'high' value segment.",
            ),
            (
                "revenue",
                "DECIMAL(16,2)",
                "fct_customer_ltv",
                "lifetime_value",
                "sql: sum(fct_customer_ltv.lifetime_value)",
                "",
                "not_null",
                "Lifetime revenue of the country's customers, USD.",
            ),
        ],
    },
]

TITLE_FONT = Font(bold=True, size=14, color="1F3864")
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
TABLE_FILL = PatternFill("solid", fgColor="D9E1F2")
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def _about(wb: Workbook) -> None:
    ws = wb.active
    ws.title = "About"
    ws["A1"] = "Retail data mart - source to target mapping"
    ws["A1"].font = TITLE_FONT
    facts = [
        ("Owner", "Data Engineering - Commercial Analytics"),
        ("Version", "1.3"),
        ("Last reviewed", dt.date(2024, 11, 18)),
        (
            "Source system",
            "Shop OLTP replica (DuckDB: countries, customers, products, orders, order_items)",
        ),
        (
            "Note",
            "One row per target column. Rules in the Transformation Logic column are either "
            "structured (direct, cast, concat, lookup, default, coalesce, sql:) or plain English; "
            "plain-English rules are implemented by the pipeline team. Test accounts "
            "(customers.is_test) never reach the customer dimension.",
        ),
    ]
    for offset, (label, value) in enumerate(facts, start=3):
        ws.cell(row=offset, column=1, value=label).font = Font(bold=True)
        cell = ws.cell(row=offset, column=2, value=value)
        cell.alignment = WRAP_TOP
        if isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 100


def _mapping(wb: Workbook) -> None:
    ws = wb.create_sheet("Mapping")
    ws["A1"] = "Retail mart: source to target mapping (v1.3)"
    ws["A1"].font = TITLE_FONT
    # row 2 stays blank
    for col, (name, width) in enumerate(zip(HEADERS, WIDTHS, strict=True), start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[HEADER_ROW].height = 22
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=3)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(HEADERS))}{HEADER_ROW}"

    row = HEADER_ROW + 1
    for index, target in enumerate(TARGETS):
        if index:
            row += 1  # blank row between targets
        first = row
        for col_name, col_type, src_table, src_col, rule, key, tests, description in target["rows"]:
            values = [
                target["name"] if row == first else None,
                col_name,
                col_type,
                src_table,
                src_col,
                rule or None,
                (target["join"] or None) if row == first else None,
                (target["filter"] or None) if row == first else None,
                key or None,
                target["load"] if row == first else None,
                tests or None,
                description,
            ]
            for col, value in enumerate(values, start=1):
                cell = ws.cell(row=row, column=col, value=value)
                cell.border = BORDER
                cell.alignment = WRAP_TOP
            ws.cell(row=row, column=9).alignment = Alignment(horizontal="center", vertical="top")
            row += 1
        last = row - 1
        name_cell = ws.cell(row=first, column=1)
        name_cell.font = Font(bold=True)
        name_cell.fill = TABLE_FILL
        if last > first:
            ws.merge_cells(start_row=first, start_column=1, end_row=last, end_column=1)


def build_mapping(path: Path = DEFAULT_PATH) -> Path:
    """Write the workbook to `path` and return it."""
    wb = Workbook()
    _about(wb)
    _mapping(wb)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Fixed document properties: rebuilding gives the same content.
    fixed = dt.datetime(2024, 11, 18, 9, 0, 0)
    wb.properties.creator = "Commercial Analytics"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.lastModifiedBy = "Commercial Analytics"
    wb.save(path)
    _normalize_zip(path, fixed)
    return path


def _normalize_zip(path: Path, when: dt.datetime) -> None:
    """Rewrite the .xlsx with fixed entry timestamps so a rebuild is byte-identical."""
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info)) for info in src.infolist()]
    # openpyxl stamps the save time into docProps/core.xml; pin it too.
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    entries = [
        (
            name,
            re.sub(
                rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                rb"\g<1>" + stamp + rb"\g<2>",
                data,
            ),
        )
        if name == "docProps/core.xml"
        else (name, data)
        for name, data in entries
    ]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args(argv)
    print(f"wrote {build_mapping(args.path)}")


if __name__ == "__main__":
    main()
