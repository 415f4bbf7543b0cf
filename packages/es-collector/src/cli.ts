import { runAgent } from '@stoker/shared';
import { esCollector } from './index.js';

process.exitCode = await runAgent(esCollector);
