export * from './aggregation.js';
export * from './carbon/lines.js';
export * from './carbon/names.js';
export * from './rates.js';
export * from './runtime/agent-definition.js';
export * from './runtime/config.js';
export * from './runtime/job.js';
export * from './runtime/options.js';
