import { main } from './marathon/cli.js';

process.exitCode = main(process.argv.slice(2));
