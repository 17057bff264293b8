SELECT
    dim_depot.depot_id AS depot_id,
    dim_depot.depot_name AS depot_name,
    coalesce(agg_depot_fleet.vehicle_count, 0) AS vehicles,
    CAST(coalesce(agg_depot_fleet.total_capacity_kg, 0) / 1000.0 AS DECIMAL(10, 1)) AS capacity_t
FROM dim_depot
LEFT JOIN agg_depot_fleet ON agg_depot_fleet.depot_id = dim_depot.depot_id
