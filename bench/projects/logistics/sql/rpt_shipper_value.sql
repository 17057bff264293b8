WITH totals AS (
    SELECT shipments.shipper_id AS shipper_id, sum(shipments.declared_value) AS total
    FROM shipments
    WHERE shipments.status <> 'cancelled'
    GROUP BY shipments.shipper_id
)
SELECT
    shippers.shipper_id AS shipper_id,
    shippers.shipper_name AS shipper_name,
    CASE
        WHEN coalesce(totals.total, 0) >= 20000 THEN 'high'
        WHEN coalesce(totals.total, 0) >= 5000 THEN 'mid'
        ELSE 'low'
    END AS value_band,
    CAST(coalesce(totals.total, 0) AS DECIMAL(14, 2)) AS total_value
FROM shippers
LEFT JOIN totals ON totals.shipper_id = shippers.shipper_id
