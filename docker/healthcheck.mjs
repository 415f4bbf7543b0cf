// The images' HEALTHCHECK: exit 0 when this container's agent answers GET /healthz with 2xx, else 1.
// A "degraded" agent (carbon away, a cluster down) answers 200 and passes: restarting it would not
// help; its reasons are printed so `docker inspect` shows them.
// Slim images have no curl, and node is there anyway. The port is found the way the agent finds it:
// --http-port on the agent's command line (PID 1), then STOKER_HTTP_PORT, then PORT0 (Marathon's, or
// the image's default).
import { readFileSync } from 'node:fs';

function portFromCommandLine() {
  let port;
  try {
    const args = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
    args.forEach((arg, index) => {
      const match = /^--http-port(?:=(.*))?$/.exec(arg);
      // The last one wins, as for the agent.
      if (match) port = match[1] ?? args[index + 1];
    });
  } catch {
    // No /proc: fall back to the environment.
  }
  return port;
}

const port = portFromCommandLine() || process.env.STOKER_HTTP_PORT || process.env.PORT0;
if (!port || port === '0') {
  console.error('healthcheck: no HTTP port (set STOKER_HTTP_PORT or PORT0; 0 means any port)');
  process.exit(1);
}
try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) });
  const body = await response.text();
  if (!response.ok) console.error(`healthcheck: /healthz answered ${response.status}: ${body.trim()}`);
  else if (!/"status":\s*"ok"/.test(body)) console.error(`healthcheck: ${body.trim()}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`healthcheck: GET http://127.0.0.1:${port}/healthz failed: ${error.cause?.message ?? error}`);
  process.exit(1);
}
