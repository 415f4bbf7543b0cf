import { isRecord } from '../flatten.js';

/** `GET /`: who answers, and which version's response shapes to expect (not an API: no series). */
interface RootResponse {
  name?: unknown;
  cluster_name?: unknown;
  version: {
    number: string;
    /** OpenSearch says `opensearch`; Elasticsearch leaves it out. */
    distribution?: unknown;
  };
}

export type Distribution = 'elasticsearch' | 'opensearch';

export interface EsVersion {
  /** As reported, e.g. `7.13.1`. */
  number: string;
  major: number;
  minor: number;
  distribution: Distribution;
}

export interface RootInfo {
  clusterName?: string;
  nodeName?: string;
  version: EsVersion;
}

export const ROOT_PATH = '/';

/** Parses `GET /`; throws when the body is not an ES root document (a proxy's page, another service). */
export function parseRoot(body: unknown): RootInfo {
  if (!isRecord(body) || !isRecord(body.version) || typeof body.version.number !== 'string') {
    throw new Error('GET / did not return an Elasticsearch root document (no version.number)');
  }
  const root = body as unknown as RootResponse;
  const distribution: Distribution =
    root.version.distribution === 'opensearch' ? 'opensearch' : 'elasticsearch';
  return {
    ...(typeof root.cluster_name === 'string' ? { clusterName: root.cluster_name } : {}),
    ...(typeof root.name === 'string' ? { nodeName: root.name } : {}),
    version: parseVersion(root.version.number, distribution),
  };
}

export function parseVersion(number: string, distribution: Distribution = 'elasticsearch'): EsVersion {
  const match = /^(\d+)\.(\d+)/.exec(number);
  return { number, major: match ? Number(match[1]) : 0, minor: match ? Number(match[2]) : 0, distribution };
}

/**
 * OpenSearch 1.x/2.x answer with the shapes of ES 7.10, which they forked from; everything
 * version-dependent below asks for this "shape major" instead of the reported one.
 */
export function shapeMajor(version: EsVersion): number {
  return version.distribution === 'opensearch' ? 7 : version.major;
}
