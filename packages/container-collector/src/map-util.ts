/** The value at `key`, created by `make` on first use (grouping without assignments in expressions). */
export function getOrCreate<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/**
 * `getOrCreate` for a cache keyed by names met at run time (directories, process ids, interfaces):
 * past `max` entries it starts afresh, so names that never come back (gone containers) cannot pile up.
 */
export function getOrCreateBounded<K, V>(map: Map<K, V>, key: K, make: () => V, max = 10_000): V {
  if (map.size >= max && !map.has(key)) map.clear();
  return getOrCreate(map, key, make);
}
