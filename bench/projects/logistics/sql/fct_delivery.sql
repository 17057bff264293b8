SELECT
    trip_stops.trip_id AS trip_id,
    trip_stops.stop_no AS stop_no,
    trip_stops.shipment_id AS shipment_id,
    trips.driver_id AS driver_id,
    trip_stops.arrived_at <= shipments.created_at + to_days(shipments.priority) AS on_time
FROM trip_stops
JOIN trips ON trips.trip_id = trip_stops.trip_id
LEFT JOIN shipments ON shipments.shipment_id = trip_stops.shipment_id
WHERE trip_stops.delivered = true
