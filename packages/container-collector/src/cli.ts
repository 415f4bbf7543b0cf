import { runAgent } from '@stoker/shared';
import { containerCollector } from './definition.js';

process.exitCode = await runAgent(containerCollector);
