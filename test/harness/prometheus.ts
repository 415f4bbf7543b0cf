import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './graphite.js';

/** One sample of a text exposition: its name, labels and value. */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses the sample lines of a Prometheus text exposition (0.0.4), unescaping label values, so a test
 * compares what a scraper reads, not bytes. Throws on a line it cannot read.
 */
export function parseExposition(text: string): ParsedSample[] {
  const samples: ParsedSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unreadable exposition line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const body = match[2]?.slice(1, -1) ?? '';
    const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    let at = 0;
    for (let found = label.exec(body); found; found = label.exec(body)) {
      labels[found[1]!] = found[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      at = label.lastIndex;
    }
    if (at !== body.length) throw new Error(`unreadable labels: ${JSON.stringify(line)}`);
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** `name{k="v",...}` with labels sorted: one key per series whatever the order they came in. */
export function seriesKey(sample: Pick<ParsedSample, 'name' | 'labels'>): string {
  const labels = Object.keys(sample.labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(sample.labels[key])}`);
  return `${sample.name}{${labels.join(',')}}`;
}

/** `promtool check metrics` on an exposition: its findings, one per line (empty when clean). */
export async function promtoolCheckMetrics(text: string): Promise<{ code: number; findings: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? 1, findings: out.split('\n').filter((line) => line.trim() !== '') }),
    );
    child.stdin.end(text);
  });
}

/** A private Prometheus server scraping `targets` (host:port) every second on loopback. */
export interface PrometheusServer {
  url: string;
  /** An instant query's result vector. */
  query(
    expr: string,
    timeSec?: number,
  ): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** A range-vector selector's samples (`expr[range]` evaluated now): every scraped point. */
  samples(
    selector: string,
    range: string,
  ): Promise<{ metric: Record<string, string>; values: [number, string][] }[]>;
  stop(): Promise<void>;
}

export async function startPrometheus(targets: Record<string, string>): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const port = await freePort();
  const jobs = Object.entries(targets)
    .map(
      ([job, target]) =>
        `  - job_name: ${job}\n    scrape_interval: 1s\n    scrape_timeout: 1s\n    static_configs:\n      - targets: ['${target}']\n`,
    )
    .join('');
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n${jobs}`);
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const api = async (path: string, params: Record<string, string>) => {
    const response = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
    const body = (await response.json()) as { status: string; data: { result: unknown }; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error}`);
    return body.data.result;
  };
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {}
    if (child.exitCode !== null || attempt > 150) throw new Error(`prometheus did not start:\n${stderr}`);
    await sleep(100);
  }
  return {
    url,
    query: (expr, timeSec) =>
      api('/api/v1/query', {
        query: expr,
        ...(timeSec === undefined ? {} : { time: String(timeSec) }),
      }) as never,
    samples: (selector, range) => api('/api/v1/query', { query: `${selector}[${range}]` }) as never,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    },
  };
}

/** Runs Debian's elasticsearch_exporter on `esUrl` and returns one scrape of it. */
export async function scrapeExporter(esUrl: string): Promise<string> {
  const port = await freePort();
  const child = spawn(
    'prometheus-elasticsearch-exporter',
    ['--es.uri', esUrl, '--es.all', '--es.indices', '--web.listen-address', `127.0.0.1:${port}`],
    { stdio: 'ignore' },
  );
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/metrics`);
        if (response.ok) return await response.text();
      } catch {}
      if (child.exitCode !== null || attempt > 100) throw new Error('elasticsearch_exporter did not answer');
      await sleep(100);
    }
  } finally {
    child.kill('SIGTERM');
  }
}
