/** The LRU behind the query engine's kept pruning answers, DuckDB plans and source Describes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedCache } from '../src/query/bounded-cache.js';

test('the least recently used entry goes first, and each dropped value is handed back once', () => {
  const dropped: string[] = [];
  const cache = new BoundedCache<string, string>(2, (value) => dropped.push(value));
  cache.set('a', 'A');
  cache.set('b', 'B');
  assert.equal(cache.get('a'), 'A'); // a is now the most recent
  cache.set('c', 'C');
  assert.deepEqual(dropped, ['B']);
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.size, 2);
  cache.set('a', 'A2'); // replaced: the old value is dropped
  assert.deepEqual(dropped, ['B', 'A']);
  cache.delete('c');
  assert.deepEqual(dropped, ['B', 'A', 'C']);
  cache.clear();
  assert.deepEqual(dropped, ['B', 'A', 'C', 'A2']);
  assert.equal(cache.size, 0);
});
