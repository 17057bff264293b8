SELECT
    trips.trip_id AS trip_id,
    trips.driver_id AS driver_id,
    CAST(
        round(
            date_diff('minute', trips.started_at, trips.ended_at) / 60.0 * drivers.hourly_rate
            * CASE WHEN drivers.is_contractor THEN 1.1 ELSE 1.0 END,
            2
        ) AS DECIMAL(10, 2)
    ) AS pay
FROM trips
JOIN drivers ON drivers.driver_id = trips.driver_id
