/**
 * Segment files whose removal has started and not finished, by relative path.
 * Garbage collection starts every removal in one turn of the event loop after
 * reading which files running queries pinned; a query that pinned its files
 * just after that turn checks that they still exist, and an unlink still on
 * its way would let that check pass. Such a file counts as gone.
 */
export const removalsInFlight = new Set<string>();
