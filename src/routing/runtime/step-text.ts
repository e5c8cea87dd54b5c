import type { Destination, RoutingSnapshot } from '../objects/model.ts';
import type { RoutingStep } from '../flow/types.ts';

// A routing step as a line of a call's timeline ("IVR Main: pressed 2", "ring group Sales: ringing 101, 102"),
// with the names of the tenant's objects as the call saw them. Caller numbers never appear here: the timeline
// line is shown to every reader of the call; the step's data keeps the rest.

export function stepText(step: RoutingStep, config: RoutingSnapshot): string {
  const ext = (id: string | null): string => (id === null ? 'an outside number' : (config.extensions.get(id)?.number ?? id));
  switch (step.kind) {
    case 'number':
      return step.destination === null ? `number ${step.number}: not routed` : `number ${step.number} → ${destinationText(step.destination, config)}`;
    case 'schedule':
      // The reason says the branch already ("open: Tue 09:00-18:00", "closed: holiday New Year").
      return `schedule ${step.name}: ${step.reason.startsWith(step.branch) ? step.reason : `${step.branch} (${step.reason})`}`;
    case 'ivr-prompt':
      return `IVR ${step.name}: menu played`;
    case 'ivr-choice':
      return step.result === 'timeout' ? `IVR ${step.name}: no key pressed` : step.result === 'invalid' ? `IVR ${step.name}: invalid key ${step.digits}` : `IVR ${step.name}: pressed ${step.digits}`;
    case 'ring':
      return `${step.targetType === 'ring-group' ? `ring group ${step.name}` : `extension ${step.name}`}: ringing ${step.extensionIds.map(ext).join(', ')}`;
    case 'skipped':
      return `extension ${ext(step.extensionId)} skipped (${step.reason})`;
    case 'answered':
      return `answered by ${step.extensionId === null ? 'the far end' : ext(step.extensionId)}`;
    case 'recording':
      return `call recorded (${step.policy === 'number' ? 'the number records its calls' : 'the extension records its calls'})`;
    case 'no-answer':
      return `${step.targetType === 'ring-group' ? `ring group ${config.ringGroups.get(step.targetId)?.name ?? step.targetId}` : `extension ${ext(step.targetId)}`}: no answer`;
    case 'forward':
      return `extension ${ext(step.extensionId)} forwards (${step.condition}) → ${destinationText(step.destination, config)}`;
    case 'fallback':
      return `fallback → ${destinationText(step.destination, config)}`;
    case 'announcement':
      return `announcement ${step.name}`;
    case 'voicemail':
      return step.durationS === null ? `voicemail ${step.name}` : `voicemail ${step.name}: ${formatDuration(step.durationS)} left`;
    case 'conference':
      return `conference ${step.name}: ${step.result === 'joined' ? (step.host ? 'joined as host' : 'joined') : step.result === 'wrong-pin' ? 'wrong PIN' : 'full'}`;
    case 'external':
      return 'forwarded to an outside number';
    case 'hangup':
      return `hung up: ${step.reason}`;
    case 'loop-cut':
      return `routing loop cut at ${destinationText(step.destination, config)}: call ended`;
    default: {
      const never: never = step;
      return JSON.stringify(never);
    }
  }
}

export function destinationText(d: Destination, config: RoutingSnapshot): string {
  switch (d.type) {
    case 'extension':
      return `extension ${config.extensions.get(d.id)?.number ?? d.id}`;
    case 'ring-group':
      return `ring group ${config.ringGroups.get(d.id)?.name ?? d.id}`;
    case 'ivr':
      return `IVR ${config.ivrMenus.get(d.id)?.name ?? d.id}`;
    case 'schedule':
      return `schedule ${config.schedules.get(d.id)?.name ?? d.id}`;
    case 'voicemail':
      return `voicemail ${config.voicemailBoxes.get(d.id)?.name ?? d.id}`;
    case 'conference':
      return `conference ${config.conferences.get(d.id)?.name ?? d.id}`;
    case 'announcement':
      return `announcement ${config.announcements.get(d.id)?.name ?? d.id}`;
    case 'external':
      return 'an outside number';
    case 'ai-agent':
      return `AI agent ${d.id}`;
    case 'hangup':
      return 'hang up';
    default: {
      const never: never = d;
      return JSON.stringify(never);
    }
  }
}

function formatDuration(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
