import autocannon from 'autocannon';

// Runs autocannon in a process of its own, so the load generator does not share the server's event
// loop. Usage (by api.ts): http-load-worker.ts <JSON of LoadRequest>; answers with a LoadResult.

export interface LoadRequest {
  baseUrl: string;
  paths: string[];
  connections: number;
  durationSec: number;
}

export interface LoadResult {
  kind: 'load';
  requests: number;
  errors: number;
  non2xx: number;
  p50: number;
  p99: number;
  max: number;
  rps: number;
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as LoadRequest;
  const result = await autocannon({
    url: request.baseUrl,
    connections: request.connections,
    duration: request.durationSec,
    // Each connection walks through the paths in turn.
    requests: request.paths.map((path) => ({ method: 'GET' as const, path })),
  });
  const load: LoadResult = {
    kind: 'load',
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    rps: result.requests.average,
  };
  process.send?.(load, () => process.exit(0));
}

void main();
