SELECT
    s.shipment_id AS shipment_id,
    s.shipper_id AS shipper_id,
    CAST(date_diff('day', s.created_at, min(ts.arrived_at) FILTER (WHERE ts.delivered)) AS INTEGER) AS days_open
FROM shipments AS s
JOIN trip_stops AS ts ON ts.shipment_id = s.shipment_id
WHERE s.status = 'delivered'
GROUP BY s.shipment_id, s.shipper_id, s.created_at
