import { describe, expect, it } from 'vitest';
import { flowInputOf } from './ari-flow-events.ts';

const channel = { id: '1700000000.5', name: 'PJSIP/trunk-00000005', state: 'Ring', caller: { name: 'Ann', number: '+15550001' }, dialplan: { context: 'from-trunk', exten: '5551000', priority: 1 } };

describe('ARI events as flow inputs', () => {
  it.each([
    ['a caller handed over with route', { type: 'StasisStart', args: ['route'], channel }, { kind: 'start', channelId: channel.id, from: '+15550001', callerName: 'Ann', dialed: '5551000', endpoint: 'trunk' }],
    ['route naming the number', { type: 'StasisStart', args: ['route', '5552000'], channel }, { kind: 'start', channelId: channel.id, from: '+15550001', callerName: 'Ann', dialed: '5552000', endpoint: 'trunk' }],
    ['a call from a Local channel (no endpoint)', { type: 'StasisStart', args: ['route'], channel: { ...channel, name: 'Local/5551000@routed-in-00000001;2' } }, { kind: 'start', channelId: channel.id, from: '+15550001', callerName: 'Ann', dialed: '5551000', endpoint: null }],
    ['an originated member answering', { type: 'StasisStart', args: ['member', 'f1'], channel: { ...channel, id: 'f1-c2' } }, { kind: 'channel', channelId: 'f1-c2', event: { type: 'answered', channelId: 'f1-c2' } }],
    ['ringing', { type: 'ChannelStateChange', channel: { ...channel, state: 'Ringing' } }, { kind: 'channel', channelId: channel.id, event: { type: 'ringing', channelId: channel.id } }],
    ['a key', { type: 'ChannelDtmfReceived', digit: '#', channel }, { kind: 'channel', channelId: channel.id, event: { type: 'dtmf', channelId: channel.id, digit: '#' } }],
    ['a hangup with its cause', { type: 'ChannelDestroyed', cause: 17, channel }, { kind: 'channel', channelId: channel.id, event: { type: 'hangup', channelId: channel.id, cause: 17 } }],
    ['a playback ending', { type: 'PlaybackFinished', playback: { id: 'f1-p3', state: 'done' } }, { kind: 'playback', playbackId: 'f1-p3', event: { type: 'playback-finished', playbackId: 'f1-p3' } }],
    ['a recording ending', { type: 'RecordingFinished', recording: { name: 'f1-r4', duration: 12.4 } }, { kind: 'recording', recordingId: 'f1-r4', event: { type: 'recording-finished', recordingId: 'f1-r4', durationS: 12 } }],
    ['a recording failing', { type: 'RecordingFailed', recording: { name: 'f1-r4', duration: 3 } }, { kind: 'recording', recordingId: 'f1-r4', event: { type: 'recording-finished', recordingId: 'f1-r4', durationS: 0 } }],
    ['an endpoint going offline', { type: 'EndpointStateChange', endpoint: { technology: 'PJSIP', resource: 'acme-101', state: 'offline' } }, { kind: 'endpoint', resource: 'acme-101', state: 'offline' }],
    ['a phone in use', { type: 'DeviceStateChanged', device_state: { name: 'PJSIP/acme-101', state: 'INUSE' } }, { kind: 'device', name: 'PJSIP/acme-101', state: 'INUSE' }],
  ])('%s', (_name, raw, expected) => {
    expect(flowInputOf(raw as Record<string, unknown>)).toEqual(expected);
  });

  it.each([
    ['Stasis without route (click-to-call, other apps)', { type: 'StasisStart', args: [], channel }],
    ['a state other than ringing', { type: 'ChannelStateChange', channel: { ...channel, state: 'Up' } }],
    ['a key that is not one', { type: 'ChannelDtmfReceived', digit: 'xx', channel }],
    ['no channel', { type: 'ChannelDestroyed' }],
    ['a playback without id', { type: 'PlaybackFinished', playback: {} }],
    ['another technology', { type: 'EndpointStateChange', endpoint: { technology: 'IAX2', resource: 'x', state: 'online' } }],
    ['an unrelated type', { type: 'BridgeCreated', bridge: { id: 'b' } }],
    ['a device that is no phone', { type: 'DeviceStateChanged', device_state: { name: 'Local/100@from-test', state: 'INUSE' } }],
    ['a device state without state', { type: 'DeviceStateChanged', device_state: { name: 'PJSIP/acme-101' } }],
  ])('ignores %s', (_name, raw) => {
    expect(flowInputOf(raw as Record<string, unknown>)).toBeNull();
  });
});
