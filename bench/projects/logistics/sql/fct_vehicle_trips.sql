SELECT
    dim_vehicle.vehicle_id AS vehicle_id,
    dim_vehicle.make AS make,
    count(*) FILTER (WHERE stg_trip.distance_km > 100) AS long_trips
FROM dim_vehicle
LEFT JOIN stg_trip ON stg_trip.vehicle_id = dim_vehicle.vehicle_id
GROUP BY dim_vehicle.vehicle_id, dim_vehicle.make
