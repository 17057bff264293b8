SELECT
    shipments.shipment_id AS shipment_id,
    shipments.shipper_id AS shipper_id,
    count(*) FILTER (WHERE trip_stops.delivered) AS delivered_stops,
    min(trip_stops.arrived_at) FILTER (WHERE trip_stops.delivered) AS first_arrival
FROM shipments
LEFT JOIN trip_stops ON trip_stops.shipment_id = shipments.shipment_id
GROUP BY shipments.shipment_id, shipments.shipper_id
