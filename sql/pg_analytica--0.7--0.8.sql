-- pg_analytica 0.7 → 0.8: every table an application has, and a status page.
--
-- Each part of the release adds its own section below.

-- ===== partitioned tables =====

-- ===== column privileges =====

-- ===== toast =====

-- ===== status page =====

UPDATE analytica.schema_info SET version = '0.8';
