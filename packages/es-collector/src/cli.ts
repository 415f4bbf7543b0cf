import { runAgent } from '@stoker/shared';
import { esCollector } from './definition.js';

process.exitCode = await runAgent(esCollector);
