"""Runs a fixed list of operations with psycopg2 and prints {operation: outcome} as JSON.

Connection parameters come from the libpq environment (PGHOST, PGPORT, PGUSER,
PGPASSWORD, PGDATABASE). Each operation runs on a connection of its own, so a
failure cannot leak into the next one. An outcome is {"ok": value} or
{"error": {"code": SQLSTATE, "message": ...}}. Values are encoded as psycopg2
decoded them: "<python type>:<repr>" for scalars, so 12.30 as a Decimal and as
a float, or a naive and an aware datetime, do not compare equal.

Run with Debian's interpreter, which has python3-psycopg2:
    /usr/bin/python3 test/clients/psycopg2_client.py [operation ...]
"""

import datetime
import decimal
import json
import sys
import threading
import traceback
import uuid

import psycopg2
import psycopg2.extensions
import psycopg2.extras

ALL_COLUMNS = "id, i2, i4, i8, n, f8, b, t, vc, d, ts, tstz, u, jb, by, a_i4, a_t"
# sum(int4) is bigint (int), avg() and numeric division exact numeric (Decimal).
GROUP_SQL = (
    "SELECT vc, count(*) AS rows, count(i4) AS i4s, sum(i4) AS sum_i4, avg(i4) AS avg_i4, avg(n) AS avg_n,"
    " sum(n) / 7 AS n7, round(avg(i8), 2) AS avg_i8, min(n) AS min_n, max(d) AS max_d,"
    " max(f8) AS max_f8 FROM mix WHERE id BETWEEN 1 AND 200 GROUP BY vc ORDER BY vc NULLS FIRST"
)
# Minutes in either engine unless cancelled: 1.7 billion md5 calls.
SLOW_SQL = (
    "SELECT count(*) FROM mix a, mix b, mix c, mix d"
    " WHERE md5(a.id::text || b.id::text || c.id::text || d.id::text) = 'x'"
)

psycopg2.extras.register_uuid()


def enc(value):
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (list, tuple)):
        return [enc(v) for v in value]
    if isinstance(value, dict):
        return {k: enc(v) for k, v in value.items()}
    if isinstance(value, (memoryview, bytes)):
        return "bytes:" + bytes(value).hex()
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return f"{type(value).__name__}:{value.isoformat()}"
    if isinstance(value, (int, float, decimal.Decimal, str, uuid.UUID)):
        return f"{type(value).__name__}:{value!r}"
    return f"{type(value).__name__}:{value!r}"


def connect(**kwargs):
    return psycopg2.connect("", **kwargs)


def rows_of(cur):
    return {"status": cur.statusmessage, "rowcount": cur.rowcount, "rows": enc(cur.fetchall())}


def query(sql, params=None):
    conn = connect()
    try:
        cur = conn.cursor()
        cur.execute(sql, params)
        return rows_of(cur)
    finally:
        conn.close()


def op_connect():
    conn = connect()
    try:
        names = [
            "client_encoding",
            "DateStyle",
            "integer_datetimes",
            "standard_conforming_strings",
            "IntervalStyle",
            "TimeZone",
            "session_authorization",
        ]
        return {
            "parameters": {name: conn.get_parameter_status(name) for name in names},
            "encoding": conn.encoding,
            "at_least_15": conn.server_version >= 150000,
            "status": conn.status,
            "isolation_level": conn.isolation_level,
        }
    finally:
        conn.close()


def op_select_group():
    return query(GROUP_SQL)


def op_select_where_order():
    return query(
        "SELECT id, t, vc FROM mix WHERE i4 > 150000 AND b IS NOT NULL AND t LIKE 'text%' ORDER BY i2 DESC, id"
    )


def op_select_arithmetic():
    """smallint + integer is an integer in PostgreSQL: no overflow at 32767."""
    return query("SELECT id, i2 + 1 AS a, i2 * 2 AS b, i2 - 1 AS c FROM mix WHERE id > 1000 ORDER BY id")


def op_params_basic():
    return query(
        "SELECT id, i4, vc FROM mix WHERE i4 > %s AND vc = %s ORDER BY id",
        (20000, "vc3"),
    )


def op_params_typed():
    return query(
        "SELECT id FROM mix WHERE d >= %s AND n < %s AND ts < %s AND f8 > %s ORDER BY id",
        (datetime.date(2024, 2, 1), decimal.Decimal("1500.5"), datetime.datetime(2024, 3, 1, 12), 2.25),
    )


def op_params_named_and_strings():
    return query(
        "SELECT %(s)s AS s, %(q)s AS q, count(*) AS c FROM mix WHERE t = %(s)s OR vc = %(v)s",
        {"s": "text 1", "q": "it's \\ here; --", "v": "vc5"},
    )


def op_params_null():
    return query(
        "SELECT id FROM mix WHERE (%s IS NULL OR i2 = %s) AND id < %s ORDER BY id",
        (None, None, 12),
    )


def op_params_bytea_uuid():
    return query(
        "SELECT id FROM mix WHERE by = %s OR u = %s ORDER BY id",
        (psycopg2.Binary(bytes.fromhex("e4da3b7fbbce2345d7772b0674a318d5")), uuid.UUID(int=0)),
    )


def op_params_array():
    return query("SELECT id, a_i4 FROM mix WHERE id = ANY(%s) ORDER BY id", ([1, 2, 3, 18, 1001],))


def op_types_all():
    return query(f"SELECT {ALL_COLUMNS} FROM mix ORDER BY id")


def op_description():
    conn = connect()
    try:
        cur = conn.cursor()
        cur.execute(
            f"SELECT {ALL_COLUMNS}, sum(i8) OVER () AS s,"
            " count(*) OVER () AS c, n * 2 AS n2, avg(n) OVER () AS an FROM mix WHERE id < 3"
        )
        return [[c.name, c.type_code, c.internal_size, c.precision, c.scale] for c in cur.description]
    finally:
        conn.close()


def op_transaction_savepoint():
    conn = connect()
    try:
        cur = conn.cursor()
        out = []
        cur.execute("SELECT count(*) FROM mix")
        out.append([cur.statusmessage, enc(cur.fetchall()), conn.get_transaction_status()])
        cur.execute("SAVEPOINT sp1")
        out.append(cur.statusmessage)
        try:
            cur.execute("SELECT i4 / (id - id) FROM mix")
        except psycopg2.Error as e:
            out.append([e.pgcode, conn.get_transaction_status()])
        cur.execute("ROLLBACK TO SAVEPOINT sp1")
        out.append([cur.statusmessage, conn.get_transaction_status()])
        cur.execute("SELECT max(id) FROM mix")
        out.append(enc(cur.fetchall()))
        cur.execute("RELEASE SAVEPOINT sp1")
        out.append(cur.statusmessage)
        conn.commit()
        out.append(conn.get_transaction_status())
        return out
    finally:
        conn.close()


def op_transaction_rollback():
    conn = connect()
    try:
        cur = conn.cursor()
        cur.execute("SELECT min(id) FROM mix")
        first = enc(cur.fetchall())
        conn.rollback()
        after_rollback = conn.get_transaction_status()
        conn.autocommit = True
        cur.execute("SELECT count(*) FROM mix WHERE b")
        return [first, after_rollback, enc(cur.fetchall()), conn.get_transaction_status()]
    finally:
        conn.close()


def op_error_in_failed_transaction():
    """After an error, the transaction refuses everything until ROLLBACK: 25P02."""
    conn = connect()
    try:
        cur = conn.cursor()
        try:
            cur.execute("SELECT 1/0")
        except psycopg2.Error:
            pass
        cur.execute("SELECT 1")
        return "no error"
    finally:
        conn.close()


def op_recovers_after_error():
    conn = connect()
    try:
        cur = conn.cursor()
        codes = []
        for sql in ["SELECT 1/0", "SELEC 1", "SELECT * FROM no_such_table"]:
            try:
                cur.execute(sql)
            except psycopg2.Error as e:
                codes.append(e.pgcode)
                conn.rollback()
        cur.execute("SELECT count(*) FROM mix")
        return [codes, enc(cur.fetchall())]
    finally:
        conn.close()


def op_error_division_by_zero():
    return query("SELECT 1/0")


def op_error_division_by_zero_column():
    return query("SELECT id, i4 / (i2 - i2) FROM mix WHERE i2 IS NOT NULL")


def op_error_syntax():
    return query("SELEC id FROM mix")


def op_error_cancel():
    conn = connect()
    try:
        cur = conn.cursor()
        timer = threading.Timer(0.5, conn.cancel)
        timer.start()
        try:
            cur.execute(SLOW_SQL)
        finally:
            timer.cancel()
        return rows_of(cur)
    finally:
        conn.close()


def op_after_cancel():
    """The connection a cancel interrupted answers the next query."""
    conn = connect()
    try:
        conn.autocommit = True
        cur = conn.cursor()
        timer = threading.Timer(0.5, conn.cancel)
        timer.start()
        try:
            cur.execute(SLOW_SQL)
        except psycopg2.extensions.QueryCanceledError as e:
            code = e.pgcode
        timer.cancel()
        cur.execute("SELECT count(*) FROM mix")
        return [code, enc(cur.fetchall())]
    finally:
        conn.close()


def op_write_insert():
    """Daemon only: the copy is read-only (25006). On the heap it is rolled back."""
    conn = connect()
    try:
        cur = conn.cursor()
        cur.execute("INSERT INTO mix (id) VALUES (-1)")
        status = cur.statusmessage
        conn.rollback()
        return status
    finally:
        conn.close()


def named_cursor(name, itersize, **cursor_options):
    conn = connect()
    try:
        cur = conn.cursor(name, **cursor_options)
        cur.itersize = itersize
        cur.execute(f"SELECT {ALL_COLUMNS} FROM mix ORDER BY id")
        return conn, cur
    except BaseException:
        conn.close()
        raise


def op_named_cursor_itersize():
    conn, cur = named_cursor("srv", 7)
    try:
        rows = [enc(row) for row in cur]
        cur.close()
        conn.commit()
        return rows
    finally:
        conn.close()


def op_named_cursor_fetchmany():
    conn, cur = named_cursor("srv_many", 7)
    try:
        out = [enc(cur.fetchone()), enc(cur.fetchmany(5)), enc(cur.fetchmany(0))]
        out.append(len(cur.fetchall()))
        out.append(enc(cur.fetchmany(3)))
        cur.close()
        conn.commit()
        return out
    finally:
        conn.close()


def op_named_cursor_scroll():
    conn, cur = named_cursor("srv_scroll", 7, scrollable=True)
    try:
        out = [enc(cur.fetchmany(4))]
        cur.scroll(3)
        out.append(enc(cur.fetchone()))
        cur.scroll(10, mode="absolute")
        out.append(enc(cur.fetchone()))
        cur.close()
        conn.commit()
        return out
    finally:
        conn.close()


def op_named_cursor_scroll_backward():
    conn, cur = named_cursor("srv_scroll_back", 7, scrollable=True)
    try:
        out = [enc(cur.fetchmany(4))]
        cur.scroll(-3)
        out.append(enc(cur.fetchone()))
        cur.close()
        conn.commit()
        return out
    finally:
        conn.close()


def op_named_cursor_withhold():
    conn, cur = named_cursor("srv_hold", 50, withhold=True)
    try:
        first = enc(cur.fetchmany(2))
        conn.commit()
        rest = enc(cur.fetchall())
        cur.close()
        return [first, len(rest), rest[-1]]
    finally:
        conn.close()


def main():
    ops = {name[3:]: fn for name, fn in globals().items() if name.startswith("op_")}
    wanted = sys.argv[1:] or list(ops)
    out = {}
    for name in wanted:
        try:
            out[name] = {"ok": ops[name]()}
        except psycopg2.Error as e:
            out[name] = {"error": {"code": e.pgcode, "message": str(e).strip()}}
        except Exception as e:
            out[name] = {"error": {"code": None, "message": traceback.format_exception_only(e)[-1].strip()}}
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
