#!/usr/bin/env -S node --single-threaded --no-memory-reducer
// --no-memory-reducer: V8's memory reducer runs full garbage collections a few seconds after each
// burst of allocation, to give memory back while a program idles. An agent that wakes every
// interval then pays one or more extra collections per cycle: about a quarter of its CPU at a 10 s
// interval with 200 containers (BENCHMARKS.md). Its heap is bounded by one cycle's work anyway.
// --single-threaded: collection and compilation on this thread, not spread over helper threads,
// which cost more CPU in total than they save in time (the agent's measure is the CPU it takes).
// Neither flag can be set from code (the reducer is set up with the heap) nor in NODE_OPTIONS: run
// this file itself (the image's entrypoint does), or `node --single-threaded --no-memory-reducer` on it.
import '../dist/cli.js';
