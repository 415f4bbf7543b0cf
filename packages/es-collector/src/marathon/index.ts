export {
  type AppDefaults,
  type ClusterSpec,
  clusterSegment,
  DEFAULTS as MARATHON_APP_DEFAULTS,
  esCollectorApp,
  esCollectorGroup,
  isGroupId,
  MARATHON_VERSIONS,
  type MarathonApp,
  type MarathonGroup,
  type MarathonVersion,
} from './app.js';
export { type GeneratorIo, main as marathonMain } from './cli.js';
export { type GeneratorInput, InputError, type Overrides, parseGeneratorInput } from './input.js';
