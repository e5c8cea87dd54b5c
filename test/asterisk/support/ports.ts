import { createSocket } from 'node:dgram';

// Loopback ports for one Asterisk instance and its sipp processes. Several test files (and other people's
// tests) run at once on one machine, so every port is asked of the kernel, never fixed.

/** A free TCP port on 127.0.0.1 (for Asterisk's HTTP/ARI listener). */
export { freePort as freeTcpPort } from '../../support/processes.ts';

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free UDP port on 127.0.0.1 (SIP listener, a sipp instance). */
export async function freeUdpPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 10_000 + Math.floor(Math.random() * 10_000);
    if (await udpPortFree(port)) return port;
  }
  throw new Error('no free UDP port found in 50 tries');
}

export interface RtpRange {
  start: number;
  end: number;
}

/**
 * An RTP range of `size` ports (even start) where every port is free now. Chosen at random in 20000-59999, so
 * instances of parallel test files get disjoint ranges unless the draw collides, which the probe catches.
 */
export async function freeRtpRange(size: number): Promise<RtpRange> {
  for (let i = 0; i < 30; i++) {
    const start = 20_000 + 2 * Math.floor(Math.random() * ((40_000 - size) / 2));
    let free = true;
    for (let p = start; p < start + size && free; p += 2) free = await udpPortFree(p);
    if (free) return { start, end: start + size - 1 };
  }
  throw new Error(`no free RTP range of ${size} ports found in 30 tries`);
}
