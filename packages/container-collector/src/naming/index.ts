import { defaultNaming } from './default.js';
import { pyadvisorNaming } from './pyadvisor.js';
import type { NamingScheme } from './scheme.js';

/** The naming schemes, by the name `--naming` takes: the one list of them. */
export const NAMING_SCHEMES = {
  default: defaultNaming,
  pyadvisor: pyadvisorNaming,
} satisfies Record<string, NamingScheme>;
