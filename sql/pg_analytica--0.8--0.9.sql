-- pg_analytica 0.8 → 0.9: multi-dimensional arrays, schema changes followed without a write,
-- and a lighter path for small queries.
--
-- Each part of the release adds its own section below.

-- ===== arrays =====

-- ===== schema catch-up =====

-- ===== query latency =====

UPDATE analytica.schema_info SET version = '0.9';
