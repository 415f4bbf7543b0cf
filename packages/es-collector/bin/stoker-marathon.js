#!/usr/bin/env node
// Writes es-collector's Marathon apps (see docker/marathon/README.md); compiled by `npm run build`.
import '../dist/marathon-cli.js';
