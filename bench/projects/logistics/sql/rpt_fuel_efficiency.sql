SELECT
    trips.vehicle_id AS vehicle_id,
    count(*) AS trip_count,
    CAST(round(sum(trips.distance_km) / nullif(sum(trips.fuel_l), 0), 2) AS DECIMAL(8, 2)) AS km_per_l
FROM trips
GROUP BY trips.vehicle_id
