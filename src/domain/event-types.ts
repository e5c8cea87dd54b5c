// The event types statistics and metric labels are kept for: those Asterisk's ARI defines, and the
// engine's own. Any other type (a newer Asterisk's, or anything a stranger posts) is still stored as
// received, but counted as `other`, so neither the statistics table nor the metrics grow with it.

const COUNTED = new Set([
  'ApplicationMoveFailed',
  'ApplicationRegistered',
  'ApplicationReplaced',
  'ApplicationUnregistered',
  'BridgeAttendedTransfer',
  'BridgeBlindTransfer',
  'BridgeCreated',
  'BridgeDestroyed',
  'BridgeMerged',
  'BridgeVideoSourceChanged',
  'ChannelCallerId',
  'ChannelConnectedLine',
  'ChannelCreated',
  'ChannelDestroyed',
  'ChannelDialplan',
  'ChannelDtmfReceived',
  'ChannelEnteredBridge',
  'ChannelHangupRequest',
  'ChannelHold',
  'ChannelLeftBridge',
  'ChannelStateChange',
  'ChannelTalkingFinished',
  'ChannelTalkingStarted',
  'ChannelToneDetected',
  'ChannelTransfer',
  'ChannelUnhold',
  'ChannelUserevent',
  'ChannelVarset',
  'ContactStatusChange',
  'DeviceStateChanged',
  'Dial',
  'EndpointStateChange',
  'MissingParams',
  'PeerStatusChange',
  'PlaybackContinuing',
  'PlaybackFinished',
  'PlaybackStarted',
  'RecordingFailed',
  'RecordingFinished',
  'RecordingStarted',
  'StasisEnd',
  'StasisStart',
  'TextMessageReceived',
  // Made by the engine (stored like ARI's own).
  'CallflowChannelFound',
  'CallflowChannelGone',
  'CallflowRoutingStep',
  // Text that could not be read as an event at all.
  'Invalid',
]);

export const OTHER_EVENT_TYPE = 'other';

/** The type an event is counted under in statistics and metrics. */
export function countedEventType(type: string): string {
  return COUNTED.has(type) ? type : OTHER_EVENT_TYPE;
}
