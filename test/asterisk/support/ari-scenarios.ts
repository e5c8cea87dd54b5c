import { createSocket, type Socket } from 'node:dgram';
import { DRIVER_APP, type AriChannel, type AriDriver } from './ari-driver.ts';
import { sleep } from './wait.ts';

// Steps the ARI scenarios share: originating into the driver application and waiting until the channel is
// answered there, bridging, hanging up.

const EVENT_WAIT_MS = 30_000;

/** Originates `endpoint` into the driver app; resolves once it is answered and in Stasis. */
export async function originateAnswered(driver: AriDriver, endpoint: string, query: Record<string, string> = {}): Promise<AriChannel> {
  const since = driver.eventCount();
  const channel = await driver.request<AriChannel>('POST', '/channels', { endpoint, app: DRIVER_APP, ...query });
  const event = await driver.waitEvent((e) => e.type === 'StasisStart' && e.channel?.id === channel.id, EVENT_WAIT_MS, `StasisStart of ${endpoint}`, since);
  return event.channel as AriChannel;
}

/** A mixing bridge holding `channels`; resolves once every one has entered it. */
export async function bridgeChannels(driver: AriDriver, channels: readonly AriChannel[]): Promise<string> {
  const bridge = await driver.request<{ id: string }>('POST', '/bridges', { type: 'mixing' });
  const entered = channels.map((c) =>
    driver.waitEvent((e) => e.type === 'ChannelEnteredBridge' && e.channel?.id === c.id, EVENT_WAIT_MS, `${c.name} entering the bridge`),
  );
  await driver.request('POST', `/bridges/${bridge.id}/addChannel`, { channel: channels.map((c) => c.id).join(',') });
  await Promise.all(entered);
  return bridge.id;
}

/** Hangs the channels up one after the other, waiting for each to be destroyed. */
export async function hangUp(driver: AriDriver, channels: readonly AriChannel[]): Promise<void> {
  for (const c of channels) {
    const gone = driver.waitEvent((e) => e.type === 'ChannelDestroyed' && e.channel?.id === c.id, EVENT_WAIT_MS, `${c.name} destroyed`);
    await driver.request('DELETE', `/channels/${c.id}`).catch(() => undefined); // may be gone with its peer already
    await gone.catch(() => undefined);
  }
}

/** Lets a bridged call carry on for a moment, so answer and end times differ. */
export const talk = (): Promise<void> => sleep(700);

/** A UDP socket on loopback that swallows the RTP an external-media channel sends. */
export async function rtpSink(): Promise<{ address: string; close(): Promise<void> }> {
  const socket: Socket = createSocket('udp4');
  socket.on('message', () => undefined);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
