"""The private warehouse answers and throw-away databases are isolated."""

import psycopg

from warehouse import dbt_env, sqlalchemy_url, url_parts


def test_fresh_database_is_empty_and_writable(fresh_db):
    with psycopg.connect(fresh_db) as conn:
        conn.execute("create schema probe")
        conn.execute("create table probe.t (x int)")
        conn.execute("insert into probe.t values (1)")
        assert conn.execute("select count(*) from probe.t").fetchone()[0] == 1
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema', 'probe')"
        ).fetchone()[0]
        assert tables == 0


def test_url_helpers_keep_credentials():
    url = "postgresql://u%40x:p%3Aw@db.example:6543/wh"
    assert url_parts(url) == {"host": "db.example", "port": "6543", "user": "u@x", "password": "p:w", "dbname": "wh"}
    assert sqlalchemy_url(url) == "postgresql+psycopg2://u%40x:p%3Aw@db.example:6543/wh"
    assert dbt_env(url)["WAREHOUSE_PORT"] == "6543"
