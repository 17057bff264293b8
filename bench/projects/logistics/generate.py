"""Build the logistics benchmark project's sources: depots, fleet, drivers, shippers, trips.

    python bench/projects/logistics/generate.py PATH

Everything derives from `random.Random(7)` and fixed dates, so a path always holds the same
rows. Primary and foreign keys are declared: the sample run follows them.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

import duckdb

SEED = 7
START = dt.datetime(2023, 1, 1, 6, 0)
REGIONS = ["north", "south", "east", "west", None]
CITIES = [
    "Oslo",
    "Bergen",
    "Lyon",
    "Porto",
    "Gdansk",
    "Aarhus",
    "Ghent",
    "Turin",
    "Graz",
    "Brno",
    "Malmo",
    "Cork",
]
FUELS = [("diesel", "1.789"), ("petrol", "1.912"), ("electric", "0.310"), ("lng", "1.205")]

DDL = """
create table depots (depot_id integer primary key, depot_name varchar not null, city varchar, region varchar);
create table fuel_prices (fuel_type varchar primary key, price_per_l decimal(6, 3) not null);
create table drivers (driver_id integer primary key, depot_id integer references depots, first_name varchar,
  last_name varchar, hired_on date, license_class varchar, is_contractor boolean, hourly_rate decimal(8, 2));
create table vehicles (vehicle_id integer primary key, depot_id integer references depots, plate varchar,
  make varchar, model_year integer, capacity_kg integer, fuel_type varchar references fuel_prices, retired boolean);
create table shippers (shipper_id integer primary key, shipper_name varchar, country varchar, tier varchar);
create table shipments (shipment_id integer primary key, shipper_id integer references shippers,
  origin_depot_id integer references depots, dest_city varchar, weight_kg decimal(10, 2),
  declared_value decimal(12, 2), created_at timestamp, status varchar, priority integer);
create table trips (trip_id integer primary key, vehicle_id integer references vehicles,
  driver_id integer references drivers, started_at timestamp, ended_at timestamp,
  distance_km decimal(8, 1), fuel_l decimal(8, 2));
create table trip_stops (trip_id integer references trips, stop_no integer,
  shipment_id integer references shipments, arrived_at timestamp, delivered boolean,
  primary key (trip_id, stop_no));
"""


def build_sources(path: Path, scale: float = 1.0) -> None:
    """(Re)create the source tables in the DuckDB file at `path`."""
    path.unlink(missing_ok=True)
    rng = random.Random(SEED)
    con = duckdb.connect(str(path))
    try:
        con.execute(DDL)
        _fill(con, rng, scale)
    finally:
        con.close()


def _fill(con: duckdb.DuckDBPyConnection, rng: random.Random, scale: float) -> None:
    n_drivers, n_vehicles, n_shippers = int(150 * scale), int(120 * scale), int(300 * scale)
    n_shipments, n_trips = int(5000 * scale), int(3000 * scale)
    depots = [(i, f"Depot {CITIES[i - 1]}", CITIES[i - 1], REGIONS[i % 5]) for i in range(1, 13)]
    con.executemany("insert into depots values (?, ?, ?, ?)", depots)
    con.executemany("insert into fuel_prices values (?, ?)", FUELS)
    con.executemany("insert into drivers values (?, ?, ?, ?, ?, ?, ?, ?)", [
        (i, rng.randint(1, 12), rng.choice(["Ana", "Bo", "Cy", "Dee", "Eli", "Fay"]), f"Lastname{i}",
         dt.date(2015, 1, 1) + dt.timedelta(days=rng.randint(0, 3000)), rng.choice(["B", "C", "CE"]),
         rng.random() < 0.2, round(rng.uniform(18, 42), 2))
        for i in range(1, n_drivers + 1)
    ])  # fmt: skip
    con.executemany("insert into vehicles values (?, ?, ?, ?, ?, ?, ?, ?)", [
        (i, rng.randint(1, 12), f"PL-{1000 + i}", rng.choice(["volvo", "scania", "man", "daf"]),
         rng.randint(2010, 2024), rng.choice([3500, 7500, 12000, 18000]), rng.choice(FUELS)[0], rng.random() < 0.1)
        for i in range(1, n_vehicles + 1)
    ])  # fmt: skip
    con.executemany("insert into shippers values (?, ?, ?, ?)", [
        (i, f"Shipper {i}", rng.choice(["NO", "FR", "PT", "PL", "DK"]), rng.choice(["gold", "silver", None]))
        for i in range(1, n_shippers + 1)
    ])  # fmt: skip
    con.executemany("insert into shipments values (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (i, rng.randint(1, n_shippers), rng.randint(1, 12), rng.choice(CITIES), round(rng.uniform(1, 900), 2),
         round(rng.uniform(10, 5000), 2), START + dt.timedelta(minutes=rng.randint(0, 500_000)),
         rng.choice(["delivered", "delivered", "delivered", "in_transit", "cancelled"]), rng.randint(1, 3))
        for i in range(1, n_shipments + 1)
    ])  # fmt: skip
    trips, stops = [], []
    for i in range(1, n_trips + 1):
        started = START + dt.timedelta(minutes=rng.randint(0, 500_000))
        ended = started + dt.timedelta(minutes=rng.randint(30, 900))
        trips.append((i, rng.randint(1, n_vehicles), rng.randint(1, n_drivers), started, ended,
                      round(rng.uniform(3, 600), 1), round(rng.uniform(2, 180), 2)))  # fmt: skip
        for stop in range(1, rng.randint(1, 5) + 1):
            arrived = started + dt.timedelta(minutes=20 * stop + rng.randint(0, 60))
            stops.append((i, stop, rng.randint(1, n_shipments), arrived, rng.random() < 0.85))
    con.executemany("insert into trips values (?, ?, ?, ?, ?, ?, ?)", trips)
    con.executemany("insert into trip_stops values (?, ?, ?, ?, ?)", stops)


if __name__ == "__main__":
    build_sources(Path(sys.argv[1] if len(sys.argv) > 1 else "logistics.duckdb"))
