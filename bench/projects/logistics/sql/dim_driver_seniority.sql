SELECT
    drivers.driver_id AS driver_id,
    drivers.depot_id AS depot_id,
    CASE WHEN drivers.hired_on < DATE '2019-01-01' THEN 'senior' ELSE 'junior' END AS seniority
FROM drivers
WHERE drivers.is_contractor = false
