export { ContainerCollector, type ContainerSource } from './collector.js';
export { containerCollector, containerOptions, NAMING_SCHEMES } from './definition.js';
export { ContainerDiscovery } from './docker/discovery.js';
