import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a fixed list of operations with pgJDBC and prints {operation: outcome} as JSON.
 *
 * <p>Connection parameters come from the libpq environment (PGHOST, PGPORT, PGUSER, PGPASSWORD,
 * PGDATABASE). Each operation runs on a connection of its own. An outcome is {"ok": value} or
 * {"error": {"code": SQLSTATE, "message": ...}}; values are encoded as the driver decoded them,
 * "<Java class>:<toString()>", so a Long and a BigDecimal never compare equal.
 *
 * <p>Launched without compiling (Java 11+ single-file source):
 * java -cp /usr/share/java/postgresql.jar test/clients/JdbcClient.java [operation ...]
 */
public class JdbcClient {
  static final String ALL_BUT_JSONB = "id, i2, i4, i8, n, f8, b, t, vc, d, ts, tstz, u, by, a_i4, a_t";
  // sum(int4) is bigint (Long), avg() and numeric division exact numeric (BigDecimal).
  static final String GROUP_SQL =
      "SELECT vc, count(*) AS rows, count(i4) AS i4s, sum(i4) AS sum_i4, avg(i4) AS avg_i4,"
          + " avg(n) AS avg_n, sum(n) / 7 AS n7, round(avg(i8), 2) AS avg_i8, min(n) AS min_n,"
          + " max(d) AS max_d, max(f8) AS max_f8 FROM mix WHERE id BETWEEN 1 AND 200"
          + " GROUP BY vc ORDER BY vc NULLS FIRST";
  static final String SLOW_SQL =
      "SELECT count(*) FROM mix a, mix b, mix c, mix d"
          + " WHERE md5(a.id::text || b.id::text || c.id::text || d.id::text) = 'x'";

  interface Op {
    Object run() throws Exception;
  }

  static Connection connect(String... extra) throws SQLException {
    String url =
        "jdbc:postgresql://" + System.getenv("PGHOST") + ":" + System.getenv("PGPORT") + "/"
            + System.getenv("PGDATABASE");
    Properties props = new Properties();
    props.setProperty("user", System.getenv("PGUSER"));
    props.setProperty("password", System.getenv("PGPASSWORD"));
    for (int i = 0; i + 1 < extra.length; i += 2) props.setProperty(extra[i], extra[i + 1]);
    return DriverManager.getConnection(url, props);
  }

  static Object enc(Object v) throws SQLException {
    if (v == null || v instanceof Boolean) return v;
    if (v instanceof byte[]) {
      StringBuilder hex = new StringBuilder("bytes:");
      for (byte b : (byte[]) v) hex.append(String.format("%02x", b));
      return hex.toString();
    }
    if (v instanceof Array) {
      Array array = (Array) v;
      List<Object> items = new ArrayList<>();
      items.add("Array:" + array.getBaseTypeName());
      for (Object item : (Object[]) array.getArray()) items.add(enc(item));
      return items;
    }
    if (v instanceof java.util.Date) {
      return v.getClass().getName() + ":" + v + "@" + ((java.util.Date) v).getTime();
    }
    if (v instanceof org.postgresql.util.PGobject) {
      org.postgresql.util.PGobject o = (org.postgresql.util.PGobject) v;
      return "PGobject:" + o.getType() + ":" + o.getValue();
    }
    return v.getClass().getName() + ":" + v;
  }

  /** Every row as getObject() decodes it, or getString() when `asString`. */
  static List<Object> rows(ResultSet rs, boolean asString) throws SQLException {
    List<Object> out = new ArrayList<>();
    int n = rs.getMetaData().getColumnCount();
    while (rs.next()) {
      List<Object> row = new ArrayList<>();
      for (int i = 1; i <= n; i++) row.add(asString ? rs.getString(i) : enc(rs.getObject(i)));
      out.add(row);
    }
    rs.close();
    return out;
  }

  static List<Object> rows(ResultSet rs) throws SQLException {
    return rows(rs, false);
  }

  static List<Object> query(String sql, String... props) throws SQLException {
    try (Connection c = connect(props);
        Statement s = c.createStatement()) {
      return rows(s.executeQuery(sql));
    }
  }

  /** Runs `sql` with int parameters `runs` times on one PreparedStatement. */
  static List<Object> repeat(String sql, int runs, String... props) throws SQLException {
    try (Connection c = connect(props);
        PreparedStatement ps = c.prepareStatement(sql)) {
      List<Object> out = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        ps.setInt(1, 10 * i);
        ps.setInt(2, 10 * i + 12);
        out.add(rows(ps.executeQuery()));
      }
      return out;
    }
  }

  static List<Object> paramsTyped(String... props) throws SQLException {
    try (Connection c = connect(props);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, vc FROM mix WHERE i4 > ? AND vc <> ? AND n < ? AND d >= ?"
                    + " AND ts < ? AND f8 > ? ORDER BY id")) {
      ps.setInt(1, 20000);
      ps.setString(2, "vc3");
      ps.setBigDecimal(3, new BigDecimal("1500.5"));
      ps.setDate(4, Date.valueOf("2024-02-01"));
      ps.setTimestamp(5, Timestamp.valueOf("2024-03-01 12:00:00"));
      ps.setDouble(6, 2.25);
      return rows(ps.executeQuery());
    }
  }

  static List<Object> divisionByZeroPrepared(String... props) throws SQLException {
    try (Connection c = connect(props);
        PreparedStatement ps = c.prepareStatement("SELECT i4 / (i2 - ?) FROM mix WHERE i2 = ?")) {
      ps.setInt(1, 5);
      ps.setInt(2, 5);
      return rows(ps.executeQuery());
    }
  }

  static Object metadataRows(ResultSet rs, String... columns) throws SQLException {
    List<Object> out = new ArrayList<>();
    while (rs.next()) {
      Map<String, Object> row = new LinkedHashMap<>();
      for (String column : columns) row.put(column, enc(rs.getObject(column)));
      out.add(row);
    }
    rs.close();
    return out;
  }

  static Map<String, Op> ops() {
    Map<String, Op> ops = new LinkedHashMap<>();
    ops.put("connect", () -> query("SELECT 1 AS one"));
    ops.put(
        "is_valid",
        () -> {
          try (Connection c = connect()) {
            return c.isValid(5);
          }
        });
    ops.put(
        "transaction_isolation",
        () -> {
          try (Connection c = connect()) {
            return c.getTransactionIsolation();
          }
        });
    ops.put(
        "current_schema",
        () -> {
          try (Connection c = connect()) {
            return c.getSchema();
          }
        });
    ops.put("select_group", () -> query(GROUP_SQL));
    ops.put(
        "select_where_order",
        () ->
            query(
                "SELECT id, t, vc FROM mix WHERE i4 > 150000 AND b IS NOT NULL AND t LIKE 'text%'"
                    + " ORDER BY i2 DESC, id"));
    // pgJDBC sends int4 and float8 parameters in binary unless binaryTransfer=false.
    ops.put("params_typed", () -> paramsTyped());
    ops.put("params_typed_text", () -> paramsTyped("binaryTransfer", "false"));
    ops.put(
        "params_untyped",
        () -> {
          try (Connection c = connect("stringtype", "unspecified");
              PreparedStatement ps =
                  c.prepareStatement("SELECT id FROM mix WHERE d >= ? AND i8 > ? ORDER BY id")) {
            ps.setString(1, "2024-03-01");
            ps.setString(2, "5000000000000");
            return rows(ps.executeQuery());
          }
        });
    ops.put(
        "params_null",
        () -> {
          try (Connection c = connect();
              PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT id, ? AS p FROM mix WHERE (? IS NULL OR i2 = ?) AND id < 12 ORDER BY id")) {
            ps.setNull(1, Types.VARCHAR);
            ps.setNull(2, Types.INTEGER);
            ps.setNull(3, Types.INTEGER);
            return rows(ps.executeQuery());
          }
        });
    ops.put(
        "types_getString",
        () -> {
          try (Connection c = connect();
              Statement s = c.createStatement()) {
            return rows(s.executeQuery("SELECT " + ALL_BUT_JSONB + ", jb FROM mix ORDER BY id"), true);
          }
        });
    ops.put("types_getObject", () -> query("SELECT " + ALL_BUT_JSONB + " FROM mix ORDER BY id"));
    ops.put("jsonb_getObject", () -> query("SELECT id, jb FROM mix ORDER BY id"));
    ops.put(
        "resultset_metadata",
        () -> {
          try (Connection c = connect();
              Statement s = c.createStatement()) {
            ResultSet rs = s.executeQuery("SELECT " + ALL_BUT_JSONB + ", count(*) OVER () AS c, n * 2 AS n2, avg(n) OVER () AS an FROM mix");
            ResultSetMetaData md = rs.getMetaData();
            List<Object> out = new ArrayList<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
              out.add(
                  List.of(
                      md.getColumnLabel(i),
                      md.getColumnType(i),
                      md.getColumnTypeName(i),
                      md.getPrecision(i),
                      md.getScale(i),
                      md.getColumnDisplaySize(i),
                      md.getColumnClassName(i)));
            }
            return out;
          }
        });
    ops.put(
        "resultset_metadata_catalog",
        () -> {
          try (Connection c = connect();
              Statement s = c.createStatement()) {
            ResultSet rs = s.executeQuery("SELECT id, jb, t, i2 + 1 AS computed FROM mix");
            ResultSetMetaData md = rs.getMetaData();
            List<Object> out = new ArrayList<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
              out.add(
                  List.of(
                      md.getColumnLabel(i),
                      md.getColumnTypeName(i),
                      md.isNullable(i),
                      md.getTableName(i),
                      md.getSchemaName(i),
                      md.isAutoIncrement(i)));
            }
            return out;
          }
        });
    String repeatSql = "SELECT " + ALL_BUT_JSONB + " FROM mix WHERE id BETWEEN ? AND ? ORDER BY id";
    // Named statement S_1 from the fifth run on, results still in text.
    ops.put("prepared_repeat_text", () -> repeat(repeatSql, 8, "binaryTransfer", "false"));
    // Never a named statement; int4 parameters in binary.
    ops.put("prepared_repeat_unnamed", () -> repeat(repeatSql, 8, "prepareThreshold", "0"));
    ops.put(
        "prepared_repeat_unnamed_text",
        () -> repeat(repeatSql, 8, "prepareThreshold", "0", "binaryTransfer", "false"));
    // The default: from the fifth run, a named statement with binary results and binary int4 parameters.
    ops.put("prepared_repeat_binary", () -> repeat(repeatSql, 8));
    ops.put(
        "params_binary_uuid_bytes",
        () -> {
          try (Connection c = connect();
              PreparedStatement ps =
                  c.prepareStatement("SELECT id FROM mix WHERE u = ? OR by = ? ORDER BY id")) {
            ps.setObject(1, UUID.fromString("c4ca4238-a0b9-2382-0dcc-509a6f75849b"));
            ps.setBytes(2, new byte[] {0, (byte) 0xff});
            return rows(ps.executeQuery());
          }
        });
    ops.put(
        "fetch_size",
        () -> {
          try (Connection c = connect()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
              s.setFetchSize(7);
              List<Object> out = rows(s.executeQuery("SELECT " + ALL_BUT_JSONB + " FROM mix ORDER BY id"));
              c.commit();
              return out;
            }
          }
        });
    ops.put(
        "fetch_size_interleaved",
        () -> {
          try (Connection c = connect()) {
            c.setAutoCommit(false);
            try (Statement s1 = c.createStatement();
                Statement s2 = c.createStatement()) {
              s1.setFetchSize(5);
              s2.setFetchSize(3);
              ResultSet a = s1.executeQuery("SELECT id FROM mix ORDER BY id");
              ResultSet b = s2.executeQuery("SELECT t FROM mix WHERE t IS NOT NULL ORDER BY id DESC");
              List<Object> out = new ArrayList<>();
              boolean moreA = true;
              boolean moreB = true;
              while (moreA || moreB) {
                if (moreA && (moreA = a.next())) out.add(enc(a.getObject(1)));
                if (moreB && (moreB = b.next())) out.add(enc(b.getObject(1)));
              }
              c.commit();
              return out;
            }
          }
        });
    ops.put(
        "transaction_savepoint",
        () -> {
          try (Connection c = connect()) {
            c.setAutoCommit(false);
            List<Object> out = new ArrayList<>();
            try (Statement s = c.createStatement()) {
              out.add(rows(s.executeQuery("SELECT count(*) FROM mix")));
              Savepoint sp = c.setSavepoint("sp1");
              try {
                s.executeQuery("SELECT i4 / (id - id) FROM mix");
              } catch (SQLException e) {
                out.add(e.getSQLState());
              }
              c.rollback(sp);
              out.add(rows(s.executeQuery("SELECT max(id) FROM mix")));
              c.releaseSavepoint(c.setSavepoint("sp2"));
              c.commit();
              out.add(rows(s.executeQuery("SELECT min(id) FROM mix")));
              c.rollback();
            }
            return out;
          }
        });
    ops.put(
        "transaction_rollback",
        () -> {
          try (Connection c = connect();
              Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            List<Object> out = new ArrayList<>();
            out.add(rows(s.executeQuery("SELECT count(*) FROM mix WHERE b")));
            c.rollback();
            c.setAutoCommit(true);
            out.add(rows(s.executeQuery("SELECT count(*) FROM mix WHERE NOT b")));
            return out;
          }
        });
    ops.put("error_division_by_zero", () -> query("SELECT 1/0"));
    ops.put("error_division_by_zero_prepared", () -> divisionByZeroPrepared("binaryTransfer", "false"));
    ops.put("error_division_by_zero_prepared_binary", () -> divisionByZeroPrepared());
    ops.put("error_syntax", () -> query("SELEC id FROM mix"));
    ops.put(
        "error_in_failed_transaction",
        () -> {
          try (Connection c = connect();
              Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            try {
              s.executeQuery("SELECT 1/0");
            } catch (SQLException e) {
              // expected; the next statement must be refused with 25P02
            }
            return rows(s.executeQuery("SELECT 1"));
          }
        });
    ops.put(
        "recovers_after_error",
        () -> {
          try (Connection c = connect();
              Statement s = c.createStatement()) {
            List<Object> out = new ArrayList<>();
            for (String sql : new String[] {"SELECT 1/0", "SELEC 1", "SELECT * FROM no_such_table"}) {
              try {
                s.executeQuery(sql);
              } catch (SQLException e) {
                out.add(e.getSQLState());
              }
            }
            out.add(rows(s.executeQuery("SELECT count(*) FROM mix")));
            return out;
          }
        });
    ops.put(
        "error_cancel",
        () -> {
          ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
          try (Connection c = connect();
              Statement s = c.createStatement()) {
            timer.schedule(
                () -> {
                  try {
                    s.cancel();
                  } catch (SQLException e) {
                    throw new RuntimeException(e);
                  }
                },
                500,
                TimeUnit.MILLISECONDS);
            return rows(s.executeQuery(SLOW_SQL));
          } finally {
            timer.shutdownNow();
          }
        });
    ops.put(
        "write_insert",
        () -> {
          try (Connection c = connect();
              Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            int count = s.executeUpdate("INSERT INTO mix (id) VALUES (-1)");
            c.rollback();
            return count;
          }
        });
    ops.put(
        "metadata_tables",
        () -> {
          try (Connection c = connect()) {
            DatabaseMetaData md = c.getMetaData();
            return metadataRows(
                md.getTables(null, "public", "mix", new String[] {"TABLE"}),
                "TABLE_CAT",
                "TABLE_SCHEM",
                "TABLE_NAME",
                "TABLE_TYPE",
                "REMARKS");
          }
        });
    ops.put(
        "metadata_columns",
        () -> {
          try (Connection c = connect()) {
            return metadataRows(
                c.getMetaData().getColumns(null, "public", "mix", null),
                "TABLE_SCHEM",
                "TABLE_NAME",
                "COLUMN_NAME",
                "DATA_TYPE",
                "TYPE_NAME",
                "COLUMN_SIZE",
                "DECIMAL_DIGITS",
                "NULLABLE",
                "COLUMN_DEF",
                "ORDINAL_POSITION",
                "IS_NULLABLE",
                "IS_AUTOINCREMENT");
          }
        });
    ops.put(
        "metadata_primary_keys",
        () -> {
          try (Connection c = connect()) {
            return metadataRows(
                c.getMetaData().getPrimaryKeys(null, "public", "mix"),
                "TABLE_NAME",
                "COLUMN_NAME",
                "KEY_SEQ");
          }
        });
    ops.put(
        "metadata_schemas",
        () -> {
          try (Connection c = connect()) {
            return metadataRows(c.getMetaData().getSchemas(null, "public"), "TABLE_SCHEM");
          }
        });
    return ops;
  }

  public static void main(String[] args) throws Exception {
    Map<String, Op> ops = ops();
    List<String> wanted = args.length > 0 ? List.of(args) : new ArrayList<>(ops.keySet());
    StringBuilder json = new StringBuilder("{");
    for (String name : wanted) {
      Object outcome;
      try {
        outcome = single("ok", ops.get(name).run());
      } catch (SQLException e) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", e.getSQLState());
        error.put("message", String.valueOf(e.getMessage()));
        outcome = single("error", error);
      } catch (Exception e) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", null);
        error.put("message", e.toString());
        outcome = single("error", error);
      }
      if (json.length() > 1) json.append(",\n");
      json.append(toJson(name)).append(": ").append(toJson(outcome));
    }
    System.out.println(json.append("}"));
  }

  /** A one-entry map that, unlike Map.of, may hold null. */
  static Map<String, Object> single(String key, Object value) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put(key, value);
    return map;
  }

  static String toJson(Object v) {
    if (v == null) return "null";
    if (v instanceof Boolean) return v.toString();
    if (v instanceof Integer) return v.toString();
    if (v instanceof Map) {
      StringBuilder s = new StringBuilder("{");
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        if (s.length() > 1) s.append(",");
        s.append(toJson(String.valueOf(e.getKey()))).append(":").append(toJson(e.getValue()));
      }
      return s.append("}").toString();
    }
    if (v instanceof List) {
      StringBuilder s = new StringBuilder("[");
      for (Object item : (List<?>) v) {
        if (s.length() > 1) s.append(",");
        s.append(toJson(item));
      }
      return s.append("]").toString();
    }
    StringBuilder s = new StringBuilder("\"");
    for (char ch : v.toString().toCharArray()) {
      if (ch == '"' || ch == '\\') s.append('\\').append(ch);
      else if (ch < 0x20) s.append(String.format("\\u%04x", (int) ch));
      else s.append(ch);
    }
    return s.append("\"").toString();
  }
}
