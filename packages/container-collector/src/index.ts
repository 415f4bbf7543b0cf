export { ContainerCollector, type ContainerSource } from './collector.js';
export { containerCollector } from './definition.js';
export { ContainerDiscovery } from './docker/discovery.js';
export { NAMING_SCHEMES } from './naming/index.js';
export { containerOptions } from './options.js';
