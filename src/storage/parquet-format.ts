/**
 * How every segment is written, by the copy, the stream's flushes and compaction alike: one
 * place to change the format (see docs/storage-format.md for the measurements behind it).
 */

/** Row groups of 122,880 rows: DuckDB's vector-aligned default, and the unit of its min/max pruning. */
export const rowGroupSize = 122_880;

/** The options of DuckDB's `COPY … TO file (…)` that write a segment. */
export const parquetCopyOptions = `FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE ${rowGroupSize}`;
