#!/usr/bin/env node
// The README's main-job command: installs what is missing (Debian packages, npm dependencies), then
// runs scripts/demo.ts — both agents against a local Graphite for about a minute.
import { runTs, setup } from './setup-and-run.mjs';

setup();
runTs('scripts/demo.ts', process.argv.slice(2));
