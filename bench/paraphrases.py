"""Requests about a small retail schema for bench/semantic_cache.py.

BASES: (request, [true paraphrases: same SQL]).
NEAR_MISSES: (index of the base it resembles, request needing different SQL, what changed).
"""

from __future__ import annotations

SCHEMA = {
    "customers": [
        "customer_id",
        "first_name",
        "last_name",
        "email",
        "country",
        "city",
        "signup_date",
        "segment",
    ],
    "orders": ["order_id", "customer_id", "order_date", "status", "amount", "shipping_cost"],
    "order_items": ["order_id", "product_id", "quantity", "unit_price", "discount"],
    "products": ["product_id", "name", "category", "brand", "price"],
    "stores": ["store_id", "city", "region"],
}

BASES: list[tuple[str, list[str]]] = [
    ("How many customers are there?", ["number of customers", "Count the customers."]),
    (
        "How many orders were placed in 2024?",
        ["number of orders placed in 2024", "count of orders placed in 2024?"],
    ),
    (
        "Total amount of all orders",
        ["sum of the amount of all orders", "What is the total amount of all orders?"],
    ),
    ("Average order amount", ["mean order amount", "What's the average order amount?"]),
    ("Total amount per customer", ["sum of amount for each customer", "total amount by customer"]),
    ("Number of orders per country", ["how many orders per country", "count of orders by country"]),
    ("Top 5 products by price", ["the 5 highest products by price", "top five products by price"]),
    (
        "Customers with more than 10 orders",
        ["customers with over 10 orders", "customers having more than ten orders"],
    ),
    (
        "Orders with amount above 100",
        ["orders with amount greater than 100", "orders whose amount is more than one hundred"],
    ),
    ("Orders that are not shipped", ["orders which are not shipped", "unshipped orders"]),
    ("Customers without orders", ["customers with no orders", "Customers who have no orders"]),
    ("Average price per category", ["mean price per category", "average price by category"]),
    (
        "Maximum unit price per product",
        ["highest unit price per product", "max unit price for each product"],
    ),
    ("Minimum shipping cost", ["lowest shipping cost", "the smallest shipping cost"]),
    (
        "Distinct countries of customers",
        ["unique countries of customers", "the distinct countries of the customers"],
    ),
    (
        "Total quantity sold per product",
        ["sum of quantity sold per product", "total quantity sold for each product"],
    ),
    ("Monthly order count", ["number of orders per month", "count of orders by month"]),
    ("Revenue by year", ["yearly revenue", "annual revenue"]),
    (
        "Orders placed after 2024-01-01",
        ["orders placed after 2024-01-01?", "Orders placed after 2024-01-01, please"],
    ),
    ("Customers from Germany", ["customers in Germany", "the customers from Germany"]),
    (
        "Products in the category 'toys'",
        ["products in category 'toys'", "the products of the category 'toys'"],
    ),
    ("Average discount per order", ["mean discount per order", "average discount by order"]),
    (
        "Latest order date per customer",
        ["most recent order date per customer", "newest order date for each customer"],
    ),
    ("Earliest signup date", ["oldest signup date", "the earliest signup date"]),
    ("Count of stores per region", ["number of stores per region", "how many stores per region"]),
    (
        "Total shipping cost per country",
        ["sum of shipping cost per country", "total shipping cost by country"],
    ),
    (
        "Customers who signed up in 2023",
        ["customers that signed up in 2023", "customers who signed up during 2023"],
    ),
    (
        "Orders with status cancelled",
        ["orders whose status is cancelled", "the orders with the status cancelled"],
    ),
    (
        "Top 10 customers by total amount",
        ["10 highest customers by total amount", "top ten customers by total amount"],
    ),
    (
        "Products with price below 20",
        ["products with price less than 20", "products whose price is lower than twenty"],
    ),
    ("Average quantity per order", ["mean quantity per order", "average quantity for each order"]),
    ("Number of distinct brands", ["how many distinct brands", "count of unique brands"]),
    (
        "Orders with at least 3 items",
        ["orders with 3 or more items", "orders having at least three items"],
    ),
    (
        "Customers in the segment 'retail'",
        ["customers of the segment 'retail'", "the customers in segment 'retail'"],
    ),
    (
        "Total amount per month in 2024",
        ["sum of amount per month in 2024", "monthly total amount in 2024"],
    ),
    (
        "Products never ordered",
        ["products that were never ordered", "the products which were never ordered"],
    ),
    (
        "Average amount per customer segment",
        ["mean amount per customer segment", "average amount by customer segment"],
    ),
    (
        "Order count per store region",
        ["number of orders per store region", "how many orders per store region"],
    ),
    (
        "Largest order amount per country",
        ["biggest order amount per country", "max order amount per country"],
    ),
    (
        "Orders sorted by amount descending",
        ["orders sorted by amount, highest first", "orders ordered by amount desc"],
    ),
    (
        "Customers with an email ending in '.de'",
        ["customers whose email ends in '.de'", "customers with email ending in '.de'"],
    ),
    (
        "Daily order count in March 2024",
        ["number of orders per day in March 2024", "count of orders by day in March 2024"],
    ),
]

NEAR_MISSES: list[tuple[int, str, str]] = [
    (1, "How many orders were placed in 2023?", "number"),
    (1, "How many orders were not placed in 2024?", "negation"),
    (2, "Minimum amount of all orders", "aggregate"),
    (3, "Maximum order amount", "aggregate"),
    (4, "Total amount per country", "column"),
    (4, "Average amount per customer", "aggregate"),
    (5, "Number of orders per city", "column"),
    (6, "Top 3 products by price", "number"),
    (6, "Bottom 5 products by price", "direction"),
    (7, "Customers with fewer than 10 orders", "direction"),
    (7, "Customers with more than 20 orders", "number"),
    (7, "Customers with at least 10 orders", "comparison"),
    (8, "Orders with amount below 100", "direction"),
    (8, "Orders with shipping cost above 100", "column"),
    (9, "Orders that are shipped", "negation"),
    (10, "Customers with orders", "negation"),
    (11, "Average price per brand", "column"),
    (11, "Maximum price per category", "aggregate"),
    (12, "Minimum unit price per product", "aggregate"),
    (13, "Maximum shipping cost", "aggregate"),
    (14, "Distinct cities of customers", "column"),
    (15, "Average quantity sold per product", "aggregate"),
    (16, "Weekly order count", "grain"),
    (17, "Revenue by month", "grain"),
    (18, "Orders placed before 2024-01-01", "direction"),
    (18, "Orders placed after 2024-06-01", "number"),
    (19, "Customers from France", "literal"),
    (19, "Customers not from Germany", "negation"),
    (20, "Products in the category 'games'", "literal"),
    (21, "Total discount per order", "aggregate"),
    (22, "Earliest order date per customer", "direction"),
    (23, "Latest signup date", "direction"),
    (24, "Count of stores per city", "column"),
    (25, "Total amount per country", "column"),
    (26, "Customers who signed up in 2022", "number"),
    (27, "Orders with status shipped", "literal"),
    (28, "Top 10 customers by number of orders", "aggregate"),
    (29, "Products with price above 20", "direction"),
    (29, "Products with price below 50", "number"),
    (30, "Total quantity per order", "aggregate"),
    (31, "Number of distinct categories", "column"),
    (32, "Orders with at most 3 items", "comparison"),
    (33, "Customers not in the segment 'retail'", "negation"),
    (34, "Total amount per month in 2023", "number"),
    (35, "Products ordered", "negation"),
    (36, "Total amount per customer segment", "aggregate"),
    (38, "Smallest order amount per country", "direction"),
    (39, "Orders sorted by amount ascending", "direction"),
    (41, "Daily order count in April 2024", "literal"),
]
