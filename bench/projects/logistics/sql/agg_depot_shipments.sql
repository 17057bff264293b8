SELECT
    shipments.origin_depot_id AS depot_id,
    count(*) AS shipment_count,
    CAST(round(sum(shipments.declared_value) * 0.02, 2) AS DECIMAL(14, 2)) AS revenue
FROM shipments
WHERE shipments.status = 'delivered'
GROUP BY shipments.origin_depot_id
