export type { EsAuth, EsClientOptions, EsTls } from './client.js';
export { EsClient, EsRequestError } from './client.js';
export { ClusterJob, type ClusterStatus, type EsGetter } from './cluster-job.js';
export { API_NAMES, type ApiName, mapBodies } from './collectors/index.js';
export { esCollector } from './definition.js';
export { NAMING_SCHEMES, type NamingSchemeName } from './naming/index.js';
export { esOptions } from './options.js';
export type { Sample } from './samples.js';
export { type ClusterTarget, resolveTargets } from './targets.js';
