-- hand-written reference SQL for fct_order_line (mapforge maintainers)
SELECT
    order_items.order_id AS order_id,
    order_items.line_no AS line_no,
    orders.customer_id AS customer_id,
    orders.order_date AS order_date,
    order_items.product_id AS product_id,
    order_items.quantity AS quantity,
    CAST(
        round(order_items.quantity * order_items.unit_price * (1 - order_items.discount_pct * 0.01), 2)
        AS DECIMAL(12, 2)
    ) AS net_amount,
    orders.status AS status
FROM order_items
JOIN orders ON orders.order_id = order_items.order_id
WHERE orders.status <> 'cancelled'
