import type { EsApi } from './api.js';
import { type CatLayout, catPath, catSamples } from './cat-rows.js';

/**
 * `GET /_cat/thread_pool?format=json&h=host,bulk.active,...,search.rejected` (es2graphite scheme
 * only, ES ≥ 1.0): the bulk, index and search pools of every node, as es2graphite's last release
 * sent them: `<cluster>.<host>.thread_pool.<pool>_<active|queue|rejected>`, named by the node's
 * **host** (es2graphite's choice; nodes sharing a host are told apart by `catSamples`). ES 5.0 made
 * `_cat/thread_pool` one row per pool (columns `name`, `active`, `queue`, `rejected`): the columns
 * es2graphite asks no longer exist, ES leaves them out, and neither es2graphite nor this sends a
 * thread pool figure from 5.x on (node stats carry them, as `<node>.thread_pool.<pool>.*`).
 */
const LAYOUT: CatLayout = {
  api: '_cat/thread_pool',
  rowKey: 'host',
  identity: new Set(),
  section: () => 'thread_pool',
};

export const CAT_THREAD_POOL_COLUMNS = [
  'host',
  ...['bulk', 'index', 'search'].flatMap((pool) =>
    ['active', 'queue', 'rejected'].map((c) => `${pool}.${c}`),
  ),
];

export const catThreadPool: EsApi = {
  name: 'cat_thread_pool',
  clusterWide: true,
  path: (version, options) =>
    catPath(version, options, `/_cat/thread_pool?format=json&h=${CAT_THREAD_POOL_COLUMNS.join(',')}`),
  map: (body) => ({ samples: catSamples(body, LAYOUT) }),
};
