-- hand-written reference SQL for dim_customer (mapforge maintainers)
SELECT
    customers.customer_id AS customer_id,
    trim(customers.first_name) || ' ' || trim(customers.last_name) AS full_name,
    customers.email AS email,
    countries.country_name AS country_name,
    CAST(customers.signup_date AS DATE) AS signup_date,
    coalesce(customers.loyalty_tier, 'none') AS loyalty_tier
FROM customers
LEFT JOIN countries ON countries.country_code = customers.country_code
WHERE customers.is_test = false
