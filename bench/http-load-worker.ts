import autocannon from 'autocannon';
import { Pool } from 'undici';
import { percentile, sleep } from './support/stats.ts';

// HTTP load in a process of its own, so the load generator does not share the server's event loop.
// Usage (by api.ts): http-load-worker.ts <JSON of LoadRequest>; answers with a LoadResult.
//  - closed loop (autocannon): each connection sends its next request as soon as it has the answer;
//  - paced (`perClientPerSec`): each client waits a random, exponentially distributed time between
//    its requests, so arrivals are independent like those of real users (autocannon's own rate limit
//    fires all connections on the same tick, which measures bursts rather than users).

export interface LoadRequest {
  baseUrl: string;
  paths: string[];
  connections: number;
  durationSec: number;
  /** Paced load: requests per second of each client on average. */
  perClientPerSec?: number;
  /** Sent with every request (the API key). */
  headers?: Record<string, string>;
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

async function closedLoop(request: LoadRequest): Promise<LoadResult> {
  const result = await autocannon({
    url: request.baseUrl,
    connections: request.connections,
    duration: request.durationSec,
    // Each connection walks through the paths in turn.
    requests: request.paths.map((path) => ({ method: 'GET' as const, path, headers: request.headers ?? {} })),
  });
  return {
    kind: 'load',
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    rps: result.requests.average,
  };
}

async function paced(request: LoadRequest, perClientPerSec: number): Promise<LoadResult> {
  const pool = new Pool(request.baseUrl, { connections: request.connections });
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const endMs = performance.now() + request.durationSec * 1000;
  const client = async (index: number): Promise<void> => {
    let n = index;
    for (;;) {
      await sleep((-Math.log(1 - Math.random()) * 1000) / perClientPerSec);
      if (performance.now() >= endMs) return;
      const started = performance.now();
      try {
        const res = await pool.request({ method: 'GET', path: request.paths[n++ % request.paths.length]!, headers: request.headers ?? {} });
        await res.body.arrayBuffer();
        if (res.statusCode < 200 || res.statusCode > 299) non2xx++;
        latencies.push(performance.now() - started);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: request.connections }, (_, i) => client(i)));
  await pool.close();
  return {
    kind: 'load',
    requests: latencies.length,
    errors,
    non2xx,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
    rps: latencies.length / request.durationSec,
  };
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as LoadRequest;
  const result = request.perClientPerSec === undefined ? await closedLoop(request) : await paced(request, request.perClientPerSec);
  process.send?.(result, () => process.exit(0));
}

void main();
