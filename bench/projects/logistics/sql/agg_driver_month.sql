SELECT
    trips.driver_id AS driver_id,
    CAST(date_trunc('month', trips.started_at) AS DATE) AS month,
    count(*) AS trip_count,
    CAST(coalesce(sum(trips.distance_km) FILTER (WHERE trips.distance_km > 50), 0) AS DECIMAL(12, 1)) AS long_km
FROM trips
GROUP BY trips.driver_id, CAST(date_trunc('month', trips.started_at) AS DATE)
