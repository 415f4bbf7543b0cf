import type { Logger } from 'pino';
import { DistinctNames } from '../carbon/distinct-names.js';
import { LeafNames } from '../carbon/leaf-names.js';
import { alignTimestamp, type DropReason, LineBatch, toMetricValue } from '../carbon/lines.js';
import { NameFilter } from '../carbon/name-filter.js';
import { parsePrefix, sanitizeSegment } from '../carbon/segments.js';
import { CarbonSender } from '../carbon/sender.js';
import { SpoolInUseError } from '../carbon/spool-lock.js';
import { tagSuffix } from '../carbon/tags.js';
import type { Exposition } from '../prometheus/exposition.js';
import { type ExposeRender, ScrapeSource } from '../prometheus/scrape.js';
import type { AgentDefinition } from './agent-definition.js';
import { ConfigError, loadConfig } from './config.js';
import { EventLoopWatch } from './event-loop-watch.js';
import { type Health, startHttpEndpoint } from './http.js';
import type { Agent, Cycle, Job, SeriesBudget } from './job.js';
import { createLogger } from './log.js';
import type { ConfigOf, OptionSpecs } from './option-spec.js';
import { type CommonConfig, commonOptions } from './options.js';
import { ProblemLog } from './problem-log.js';
import { abortedForShutdown, Scheduler } from './scheduler.js';
import { selfMetrics } from './self-metrics.js';

/** What /status shows of one job, and what self-metrics report. */
export interface JobState {
  interval_ms: number;
  runs: number;
  errors: number;
  skipped_ticks: number;
  last_start?: string;
  last_duration_ms?: number;
  last_result?: 'ok' | 'error';
  last_error?: string;
  last_success?: string;
  consecutive_failures: number;
  /** Lines the last cycle sent: the series this job costs in whisper. */
  series_sent?: number;
  /** Aligned timestamp (s) of the last completed cycle: its samples are what /metrics shows. */
  last_cycle_timestamp_s?: number;
}

/**
 * Runs an agent: config, logger, sender, HTTP endpoint, self-metrics, one scheduler per job, and an
 * orderly shutdown on SIGTERM/SIGINT (stop collecting, flush within the grace period, exit 0).
 * Resolves with the process exit code.
 */
export async function runAgent<S extends OptionSpecs>(
  definition: AgentDefinition<S>,
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const specs = agentOptions(definition);
  let config: CommonConfig & ConfigOf<S>;
  let unknownEnv: string[];
  let warnings: string[];
  try {
    const loaded = loadConfig(specs, {
      name: definition.name,
      version: definition.version,
      description: definition.description,
      ...(definition.examples ? { examples: definition.examples } : {}),
      argv,
      env,
    });
    if (loaded.kind === 'exit') return loaded.code;
    config = loaded.config as unknown as CommonConfig & ConfigOf<S>;
    ({ unknownEnv, warnings } = loaded);
  } catch (error) {
    return configFailure(definition.name, error);
  }
  const log = createLogger({ name: definition.name, level: config.logLevel, format: config.logFormat });
  if (unknownEnv.length > 0) {
    // A warning, not exit 2 as for an unknown flag or file key: the environment is shared with other
    // programs (scripts, test runners, settings shared by both agents) that may use the prefix too.
    log.warn(
      { variables: unknownEnv },
      `environment variables ignored, not options of ${definition.name}: ${unknownEnv.join(', ')}`,
    );
  }
  for (const warning of warnings) log.warn(`config: ${warning}`);
  if (config.prefix === undefined) {
    config.prefix =
      typeof definition.defaultPrefix === 'function'
        ? definition.defaultPrefix(config)
        : definition.defaultPrefix;
  }

  let agent: Agent;
  try {
    agent = await definition.create(config, { log, env });
  } catch (error) {
    if (error instanceof ConfigError) return configFailure(definition.name, error);
    log.fatal({ err: error }, 'agent failed to start');
    return 1;
  }
  if (config.metrics && config.httpPort === undefined) {
    await agent.close?.();
    return configFailure(
      definition.name,
      new ConfigError(
        '--metrics',
        true,
        'an HTTP endpoint to serve /metrics on: give --http-port (or PORT0)',
      ),
    );
  }
  let runtime: Runtime<S>;
  try {
    runtime = new Runtime(definition, config, agent, log);
  } catch (error) {
    await agent.close?.();
    if (!(error instanceof SpoolInUseError)) throw error;
    return configFailure(
      definition.name,
      new ConfigError(
        '--spool-dir',
        config.spoolDir,
        `a directory no other running agent uses: ${error.message}`,
      ),
    );
  }
  return runtime.run();
}

/** Every option of an agent: the common ones, `--prefix` defaulting to the agent's, and its own. */
export function agentOptions<S extends OptionSpecs>(
  definition: AgentDefinition<S>,
): typeof commonOptions & S {
  const prefixText =
    typeof definition.defaultPrefix === 'string'
      ? `\`${definition.defaultPrefix}\``
      : definition.defaultPrefixText;
  return {
    ...commonOptions,
    prefix: { ...commonOptions.prefix, ...(prefixText ? { defaultText: prefixText } : {}) },
    ...definition.options,
  };
}

function configFailure(name: string, error: unknown): number {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${name}: config error: ${error.message}\n`);
  return 2;
}

class Runtime<S extends OptionSpecs> {
  private readonly sender: CarbonSender;
  private readonly prefix: string[];
  /** The self-metrics' prefix: the agent's, unless its naming scheme wants them elsewhere. */
  private readonly selfPrefix: string[];
  private readonly tags: string;
  private readonly states = new Map<string, JobState>();
  /** Each job's leaf names (see `Cycle.group`), kept for the life of the process. */
  private readonly leafNames = new Map<Job, LeafNames>();
  /** Each job's series budget (undefined: every series), built once. */
  private readonly filters = new Map<Job, NameFilter | undefined>();
  private readonly problems: ProblemLog;
  private readonly schedulers: Scheduler[] = [];
  private readonly dropped: Record<DropReason, number> = { non_finite: 0, too_long: 0 };
  private readonly startedAtMs = Date.now();
  private shuttingDown = false;
  private readonly loopWatch = new EventLoopWatch();
  private readonly scrapes = new ScrapeSource((out) => this.exposeOwn(out));

  constructor(
    private readonly definition: AgentDefinition<S>,
    private readonly config: CommonConfig & ConfigOf<S>,
    private readonly agent: Agent,
    private readonly log: Logger,
  ) {
    this.problems = new ProblemLog(log);
    this.prefix = parsePrefix(config.prefix);
    this.selfPrefix = parsePrefix(definition.selfMetricsPrefix?.(config) ?? config.prefix);
    this.tags = tagSuffix(config.tag);
    this.sender = new CarbonSender({
      destinations: config.carbon,
      mode: config.carbonMode,
      // `none` never hands the sender a line (see runJob); stdout needs no connection to stand by.
      protocol: config.output === 'carbon' ? config.carbonProtocol : 'stdout',
      queueBytes: config.queueSize,
      ...(config.spoolDir === undefined
        ? {}
        : { spool: { dir: config.spoolDir, maxBytes: config.spoolSize, fsyncMs: config.spoolFsync } }),
      connectTimeoutMs: config.connectTimeout,
      log,
    });
    for (const job of agent.jobs) {
      this.states.set(job.name, {
        interval_ms: job.intervalMs,
        runs: 0,
        errors: 0,
        skipped_ticks: 0,
        consecutive_failures: 0,
      });
    }
  }

  async run(): Promise<number> {
    const { config, log } = this;
    if (config.once) return this.runOnce();

    if (config.httpPort !== undefined) {
      try {
        const { port } = await startHttpEndpoint({
          host: config.httpHost,
          port: config.httpPort,
          health: () => this.health(),
          status: () => this.status(),
          ...(config.metrics ? { metrics: this.scrapes } : {}),
        });
        log.info(
          { port, host: config.httpHost },
          `http endpoint listening (/healthz, /status${config.metrics ? ', /metrics' : ''})`,
        );
      } catch (error) {
        log.fatal({ err: error, port: config.httpPort }, 'cannot listen for the http endpoint');
        return 1;
      }
    }
    const selfJob = selfMetrics(this.definition.name, config, () => ({
      sender: this.sender,
      states: this.states,
      dropped: this.dropped,
    }));
    for (const job of config.selfMetrics ? [...this.agent.jobs, selfJob] : this.agent.jobs) {
      const scheduler = new Scheduler({
        intervalMs: job.intervalMs,
        timeoutMs: job.timeoutMs,
        run: ({ tickAtMs, signal }) =>
          this.runJob(job, tickAtMs, signal, job === selfJob ? this.selfPrefix : this.prefix),
        onSkip: () => {
          const state = this.states.get(job.name);
          if (state) state.skipped_ticks++;
          this.problems.fail(`job ${job.name} schedule`, 'previous cycle still running: tick skipped', {
            job: job.name,
          });
        },
      });
      this.schedulers.push(scheduler);
      scheduler.start();
    }
    log.info(
      {
        jobs: this.agent.jobs.map((job) => job.name),
        interval_ms: config.interval,
        output: config.output,
        carbon: config.output === 'carbon' ? this.sender.stats().destinations.map((d) => d.name) : [],
      },
      `${this.definition.name} ${this.definition.version} started`,
    );
    return new Promise<number>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        if (this.shuttingDown) {
          log.warn({ signal }, 'second signal: exiting at once');
          process.exit(signal === 'SIGINT' ? 130 : 143);
        }
        log.info({ signal, grace_ms: config.shutdownGrace }, 'stopping: flushing the queue');
        this.shutdown().then(resolve);
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
  }

  private async runOnce(): Promise<number> {
    const now = Date.now();
    const results = await Promise.all(
      this.agent.jobs.map((job) => {
        const scheduler = new Scheduler({
          intervalMs: job.intervalMs,
          timeoutMs: job.timeoutMs,
          run: ({ tickAtMs, signal }) => this.runJob(job, tickAtMs, signal, this.prefix),
        });
        return scheduler.runCycle(now).then(() => this.states.get(job.name)?.last_result === 'ok');
      }),
    );
    await this.agent.close?.();
    const flushed = await this.sender.flush(this.config.shutdownGrace);
    const stats = this.sender.stats();
    await this.sender.close();
    if (!flushed) {
      this.log.error(
        { queued_lines: stats.linesQueued, carbon: stats.destinations },
        'could not flush every line to carbon within the grace period',
      );
      return 1;
    }
    return results.every(Boolean) ? 0 : 1;
  }

  private async runJob(job: Job, tickAtMs: number, signal: AbortSignal, prefix: string[]): Promise<void> {
    const state = this.states.get(job.name);
    // Samples are named when the job settles: raw segments that sanitise alike within one scope
    // (`data.1`, `data_1`) are told apart, and each segment is sanitised there, once.
    let leafNames = this.leafNames.get(job);
    if (!leafNames) {
      leafNames = new LeafNames(job.sanitize);
      this.leafNames.set(job, leafNames);
    }
    const filter = this.filter(job, prefix);
    const names = new DistinctNames(job.sanitize, leafNames, filter);
    const output = this.config.output;
    const batch = new LineBatch({
      prefix,
      timestampSec: alignTimestamp(tickAtMs, job.intervalMs),
      tagSuffix: this.tags,
      onChunk: output === 'none' ? () => {} : (chunk, lines) => this.sender.send(chunk, lines),
    });
    let exposed: ExposeRender | undefined;
    const cycle: Cycle = {
      job: job.name,
      signal,
      startedAtMs: tickAtMs,
      timestampSec: alignTimestamp(tickAtMs, job.intervalMs),
      once: this.config.once,
      log: this.log.child({ job: job.name }),
      problems: this.problems,
      emit: (segments, value) => names.add(segments, value),
      group: (head) => names.group(head),
      sendsBelow: (segments) =>
        !filter || this.config.metrics || filter.sendsBelow(segments, job.sanitize ?? sanitizeSegment),
      // Without --metrics nothing keeps the cycle's samples once they are sent.
      expose: this.config.metrics
        ? (render) => {
            exposed = render;
          }
        : () => {},
    };
    const started = performance.now();
    let failure: unknown;
    try {
      await job.run(cycle);
    } catch (error) {
      failure = error;
    }
    if (abortedForShutdown(signal)) {
      // Cut short because the agent is stopping: whatever failed, failed because of the abort, so
      // nothing of this cycle is sent, counted or logged as a failure of its target.
      this.log.debug({ job: job.name }, 'cycle aborted by shutdown');
      return;
    }
    // A big cycle (a million lines) goes to the sender in slices, with a turn for the socket in
    // between: the queue then holds a slice or so, not the whole cycle's bytes.
    let series = 0;
    const notFinite: string[] = [];
    const nameDrops = this.log.isLevelEnabled('debug');
    const addLine = (name: Buffer | string, value: unknown, leaf?: Buffer) => {
      if (batch.addBytes(name, value, leaf)) series++;
      else if (nameDrops && notFinite.length < NAMED_DROPS && toMetricValue(value) === undefined)
        notFinite.push(`${[...prefix, ''].join('.')}${name}${leaf ?? ''} (${String(value)})`);
    };
    // `--output none` (a pure exporter) names and formats nothing: the lines would go nowhere.
    for (let done = output === 'none'; !done; ) {
      done = names.drain(addLine, SLICE_LINES);
      batch.end();
      if (!done) await new Promise((resolve) => setImmediate(resolve));
    }
    const { non_finite } = batch.dropped;
    if (non_finite > 0 && nameDrops) {
      const more = non_finite > notFinite.length ? ` and ${non_finite - notFinite.length} more` : '';
      this.log.debug(
        { job: job.name, samples: notFinite, dropped: non_finite },
        `${non_finite} samples not sent (not a finite number): ${notFinite.join(', ')}${more}`,
      );
    }
    this.dropped.non_finite += non_finite;
    this.dropped.too_long += batch.dropped.too_long;
    if (!state) return; // the self-metrics job keeps no state of its own
    state.last_cycle_timestamp_s = cycle.timestampSec;
    if (this.config.metrics) this.scrapes.publish(job.name, exposed ?? (() => undefined));
    state.runs++;
    state.last_start = new Date(tickAtMs).toISOString();
    state.last_duration_ms = Math.round(performance.now() - started);
    state.series_sent = series;
    // Ticks stop being skipped once a cycle fits in its interval again.
    if (state.last_duration_ms < job.intervalMs)
      this.problems.ok(`job ${job.name} schedule`, { job: job.name });
    if (failure === undefined) {
      this.problems.ok(`job ${job.name}`, { job: job.name });
      state.last_result = 'ok';
      state.last_success = state.last_start;
      state.consecutive_failures = 0;
      delete state.last_error;
    } else {
      const message = failure instanceof Error ? failure.message : String(failure);
      this.problems.fail(`job ${job.name}`, `cycle failed: ${message}`, { job: job.name });
      state.errors++;
      state.consecutive_failures++;
      state.last_result = 'error';
      state.last_error = message;
    }
  }

  /**
   * The series budget of `job` (its own, else the agent's) for names under `prefix`, or undefined
   * when every series is sent.
   */
  private filter(job: Job, prefix: readonly string[]): NameFilter | undefined {
    if (this.filters.has(job)) return this.filters.get(job);
    const { config, definition } = this;
    const budget: SeriesBudget = job.series ?? config;
    const below = (under: readonly string[], glob: string) => [...under, glob].join('.');
    const chosen = [
      ...(budget.profile === 'essential'
        ? definition.essentialSeries.map((glob) => below(this.prefix, glob))
        : []),
      ...budget.include,
    ];
    // The agent's own health and series count stay unless excluded: a budget must not hide what it costs.
    const self = below(this.selfPrefix, `${definition.name}.*.self.**`);
    const include = chosen.length > 0 ? [...chosen, self] : [];
    const filter =
      include.length > 0 || budget.exclude.length > 0
        ? new NameFilter({ include, exclude: budget.exclude, prefix })
        : undefined;
    this.filters.set(job, filter);
    return filter;
  }

  /**
   * 503 only for what a restart would cure: a job whose cycles stopped, an event loop blocked for
   * seconds, a shutdown under way. Carbon away, a queue dropping or a cluster down only degrade
   * (200): a restart cannot bring carbon back and would throw away what the agent keeps for it.
   */
  private health(): Health {
    const stuck: string[] = [];
    const degraded: string[] = [];
    const now = Date.now();
    for (const job of this.agent.jobs) {
      const state = this.states.get(job.name)!;
      const stallMs = 3 * job.intervalMs + job.timeoutMs;
      const lastRun = state.last_start ? Date.parse(state.last_start) : this.startedAtMs;
      if (now - lastRun > stallMs)
        stuck.push(`job ${job.name}: no cycle for ${Math.round((now - lastRun) / 1000)} s`);
      else if (state.last_result === 'error')
        degraded.push(
          `job ${job.name}: last ${state.consecutive_failures} cycle(s) failed: ${state.last_error}`,
        );
    }
    const stallMs = this.loopWatch.longestStallMs;
    if (stallMs >= LOOP_STALL_MS)
      stuck.push(`event loop blocked for ${(stallMs / 1000).toFixed(1)} s within the last minute`);
    if (this.shuttingDown) stuck.push('shutting down');
    const stats = this.sender.stats();
    for (const destination of stats.destinations) {
      if (!destination.connected)
        degraded.push(
          `carbon ${destination.name} unreachable (${destination.lastError ?? 'connecting'}): ${destination.queueBytes} bytes queued${destination.spoolBytes === undefined ? '' : `, ${destination.spoolBytes} bytes spooled on disk`}`,
        );
    }
    if (stats.lastDropAtMs !== undefined && now - stats.lastDropAtMs < 3 * this.config.interval)
      degraded.push(
        stats.spool
          ? `spool full: oldest segments being dropped (${stats.spool.droppedBytes} bytes since start; ${stats.linesDroppedQueueFull} lines dropped from memory queues while the disk refused writes)`
          : `queue full: oldest lines being dropped (${stats.linesDroppedQueueFull} since start; ${stats.queueBytes} of ${stats.queueBytesMax} bytes queued)`,
      );
    if (stats.spool && !stats.spool.writable)
      degraded.push(`spool ${this.config.spoolDir} refuses writes: lines kept in memory only`);
    const status = stuck.length > 0 ? 'unhealthy' : degraded.length > 0 ? 'degraded' : 'ok';
    return { status, reasons: [...stuck, ...degraded] };
  }

  /** The runtime's own view of each job, beside the samples of its last cycle. */
  private exposeOwn(out: Exposition): void {
    for (const [job, state] of this.states) {
      const labels = [['agent_job', job]] as const;
      if (state.last_result !== undefined)
        out.add(JOB_FAMILIES.up, labels, state.last_result === 'ok' ? 1 : 0);
      out.add(JOB_FAMILIES.cycles, labels, state.runs);
      out.add(JOB_FAMILIES.errors, labels, state.errors);
      out.add(JOB_FAMILIES.skippedTicks, labels, state.skipped_ticks);
      if (state.last_duration_ms !== undefined)
        out.add(JOB_FAMILIES.duration, labels, state.last_duration_ms / 1000);
      if (state.last_cycle_timestamp_s !== undefined)
        out.add(JOB_FAMILIES.cycleTimestamp, labels, state.last_cycle_timestamp_s);
    }
  }

  private status(): unknown {
    const stats = this.sender.stats();
    return {
      agent: this.definition.name,
      version: this.definition.version,
      instance: this.config.instance,
      started_at: new Date(this.startedAtMs).toISOString(),
      uptime_s: Math.round((Date.now() - this.startedAtMs) / 1000),
      prefix: this.config.prefix,
      output: this.config.output,
      health: this.health(),
      jobs: Object.fromEntries(this.states),
      sender: {
        mode: this.config.carbonMode,
        protocol: this.config.output === 'carbon' ? this.config.carbonProtocol : this.config.output,
        reachable: this.sender.reachable,
        queue_bytes: stats.queueBytes,
        queue_bytes_max: stats.queueBytesMax,
        queued_lines: stats.linesQueued,
        lines_sent: stats.linesSent,
        reconnects: stats.reconnects,
        destinations: stats.destinations,
        ...(stats.spool
          ? {
              spool: {
                dir: this.config.spoolDir,
                bytes: stats.spool.bytes,
                bytes_max: this.config.spoolSize,
                segments: stats.spool.segments,
                replayed_lines: stats.spool.replayedLines,
                dropped_bytes: stats.spool.droppedBytes,
                corrupt_records: stats.spool.corruptRecords,
                writable: stats.spool.writable,
              },
            }
          : {}),
      },
      dropped_lines: { queue_full: stats.linesDroppedQueueFull, ...this.dropped },
      ...(this.agent.status ? { [this.definition.name]: this.agent.status() } : {}),
    };
  }

  private async shutdown(): Promise<number> {
    this.shuttingDown = true;
    const stopStarted = Date.now();
    await Promise.all(
      this.schedulers.map((scheduler) => scheduler.stop(Math.min(5000, this.config.shutdownGrace))),
    );
    await this.agent.close?.().catch((error: unknown) => this.log.warn({ err: error }, 'agent close failed'));
    const flushed = await this.sender.flush(
      Math.max(0, this.config.shutdownGrace - (Date.now() - stopStarted)),
    );
    const stats = this.sender.stats();
    const counts = { lines_sent: stats.linesSent, dropped_queue_full: stats.linesDroppedQueueFull };
    const spooled = await this.sender.close();
    if (flushed) this.log.info(counts, 'queue flushed; bye');
    else if (spooled === stats.linesQueued)
      this.log.info(
        { ...counts, spooled_lines: spooled },
        'grace period over: what was queued is kept in the spool; bye',
      );
    else
      this.log.warn(
        { ...counts, lost_lines: stats.linesQueued - spooled },
        'grace period over: lines still queued are lost',
      );
    return 0;
  }
}

/** The runtime's own series on /metrics, one per job (`agent_job`: Prometheus keeps `job` for itself). */
const JOB_FAMILIES = {
  up: { name: 'stoker_job_up', type: 'gauge', help: '1 when the last cycle succeeded, 0 when it failed' },
  cycles: { name: 'stoker_job_cycles_total', type: 'counter', help: 'Cycles completed since start' },
  errors: { name: 'stoker_job_errors_total', type: 'counter', help: 'Cycles failed since start' },
  skippedTicks: {
    name: 'stoker_job_skipped_ticks_total',
    type: 'counter',
    help: 'Ticks skipped because the previous cycle was still running',
  },
  duration: {
    name: 'stoker_job_cycle_duration_seconds',
    type: 'gauge',
    help: 'How long the last cycle took',
  },
  cycleTimestamp: {
    name: 'stoker_job_last_cycle_timestamp_seconds',
    type: 'gauge',
    help: 'Aligned timestamp of the cycle whose samples this exposition shows (the timestamp of its carbon lines)',
  },
} as const;

/** An event loop blocked this long is stuck: the agent cannot collect or send meanwhile. */
const LOOP_STALL_MS = 5000;

/** Samples not sent for want of a finite value that one cycle names in the debug log (the rest are counted). */
const NAMED_DROPS = 5;

/** Lines handed to the sender at a time when a cycle is queued (about 1 MiB). */
const SLICE_LINES = 16_384;
