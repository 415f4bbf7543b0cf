import type { EsApi } from './api.js';
import { type CatLayout, catPath, catSamples } from './cat-rows.js';

/**
 * `GET /_cat/allocation?format=json&bytes=b` (es2graphite scheme only, ES ≥ 1.0): shards and disk
 * use per data node, as es2graphite's last release sent them, `<cluster>.<node>.disk.<column>`:
 * `disk.shards`, `disk.disk_used`, `disk.disk_avail`, `disk.disk_total`, `disk.disk_percent`, and
 * from 5.x `disk.disk_indices` (bytes; percent as ES rounds it). The `UNASSIGNED` row (shards no
 * node holds) is a row like the others: `<cluster>.unassigned.disk.shards`.
 */
const LAYOUT: CatLayout = {
  api: '_cat/allocation',
  rowKey: 'node',
  identity: new Set(['host', 'ip']),
  section: () => 'disk',
};

export const catAllocation: EsApi = {
  name: 'cat_allocation',
  clusterWide: true,
  path: (version, options) => catPath(version, options, '/_cat/allocation?format=json&bytes=b'),
  map: (body) => ({ samples: catSamples(body, LAYOUT) }),
};
