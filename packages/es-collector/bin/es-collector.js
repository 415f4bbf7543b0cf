#!/usr/bin/env -S node --single-threaded --no-memory-reducer
// --single-threaded: V8 runs garbage collection and compilation on this thread instead of spreading
// them over helper threads. A cycle takes a little longer, but the agent pays about 20 % less CPU
// per cycle on a big cluster (BENCHMARKS.md): parallel collection costs more in total than it saves
// in time, and an agent is judged by the CPU it takes from the host, not by how fast a cycle ends.
// --no-memory-reducer: no extra full collections while idling between cycles (a few % more).
// Neither can be set from code nor in NODE_OPTIONS: run this file itself (the image's entrypoint
// does), or `node --single-threaded --no-memory-reducer` on it.
import '../dist/cli.js';
