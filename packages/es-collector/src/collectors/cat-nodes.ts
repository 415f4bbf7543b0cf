import type { EsApi } from './api.js';
import { type CatLayout, catPath, catSamples } from './cat-rows.js';

/**
 * `GET /_cat/nodes?format=json&bytes=b&h=heapPercent,heapMax,ramPercent,ramMax,load,name`
 * (es2graphite scheme only, ES ≥ 1.0): es2graphite's last release asked `_cat/nodes` twice, once for
 * `heapPercent,heapMax,ramPercent,ramMax,name` (sent as `<cluster>.<node>.memory.heappercent`,
 * `.heapmax` (bytes), `.rampercent`, `.rammax` (bytes)) and once for `load,name`
 * (`<cluster>.<node>.os.load`, the 1-minute load average). One request with both column lists
 * gives the same cells. ES 5.0 renamed `load` to `load_1m`; ES ignores an `h=` column it does not
 * know, so from 5.x there is no `os.load`, as there was none from es2graphite.
 */
const LAYOUT: CatLayout = {
  api: '_cat/nodes',
  rowKey: 'name',
  identity: new Set(),
  section: (column) => (column === 'load' ? 'os' : 'memory'),
};

export const CAT_NODES_COLUMNS = ['heapPercent', 'heapMax', 'ramPercent', 'ramMax', 'load', 'name'];

export const catNodes: EsApi = {
  name: 'cat_nodes',
  clusterWide: true,
  path: (version, options) =>
    catPath(version, options, `/_cat/nodes?format=json&bytes=b&h=${CAT_NODES_COLUMNS.join(',')}`),
  map: (body) => ({ samples: catSamples(body, LAYOUT) }),
};
