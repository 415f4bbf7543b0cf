import { defaultNaming } from './default.js';
import { es2graphiteNaming } from './es2graphite.js';
import type { NamingScheme, NamingSchemeName } from './scheme.js';

export type { Named, NamingScheme, NamingSchemeName, Segments } from './scheme.js';
export { defaultNaming, es2graphiteNaming };

export const NAMING_SCHEMES: Readonly<Record<NamingSchemeName, NamingScheme>> = {
  default: defaultNaming,
  es2graphite: es2graphiteNaming,
};
