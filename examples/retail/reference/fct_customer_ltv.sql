-- hand-written reference SQL for fct_customer_ltv (mapforge maintainers)
SELECT
    fct_order_line.customer_id AS customer_id,
    count(DISTINCT fct_order_line.order_id) AS order_count,
    CAST(
        coalesce(sum(fct_order_line.net_amount) FILTER (WHERE fct_order_line.status <> 'returned'), 0)
        AS DECIMAL(14, 2)
    ) AS lifetime_value,
    min(fct_order_line.order_date) AS first_order_date,
    CASE
        WHEN coalesce(sum(fct_order_line.net_amount) FILTER (WHERE fct_order_line.status <> 'returned'), 0) >= 1000
            THEN 'high'
        WHEN coalesce(sum(fct_order_line.net_amount) FILTER (WHERE fct_order_line.status <> 'returned'), 0) >= 250
            THEN 'medium'
        ELSE 'low'
    END AS customer_segment
FROM fct_order_line
GROUP BY fct_order_line.customer_id
