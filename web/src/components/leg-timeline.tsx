// The call drawn over time: one lane per leg, positioned in percent so it stretches to any width.
import type { CallDetail } from '../api/types.ts';
import {
  buildLegTimeline,
  legLabel,
  offsetLabel,
  percentAlong,
  placeMarks,
  type Lane,
  type LaneMark,
  type LegTimelineModel,
  type PlacedMark,
} from '../lib/leg-lanes.ts';
import { formatTime } from '../lib/format.ts';
import { useElementWidth } from './use-width.ts';

const SEGMENT_LABELS = { ringing: 'Ringing', talking: 'Talking', bridged: 'Bridged', held: 'On hold' } as const;
const MARK_SYMBOLS = { dtmf: '#', transfer: '⇄', hangup: '✕', recording: '●' } as const;
/** A mark's drawn width (20 px, see .mark) and a little air: the least distance between two marks on a tier. */
const MARK_SPACING_PX = 22;

function Mark({ mark, model }: { mark: PlacedMark; model: LegTimelineModel }) {
  const label = `${mark.label} at ${formatTime(new Date(mark.atMs).toISOString())} (${offsetLabel(mark.atMs - model.startMs)})`;
  return (
    <span
      className={`mark mark-${mark.kind}`}
      style={{ left: `${percentAlong(model, mark.atMs)}%`, marginTop: `${-10 - mark.tier * MARK_SPACING_PX}px`, zIndex: 1 + mark.tier }}
      title={label}
      data-tier={mark.tier}
    >
      <span aria-hidden="true">{MARK_SYMBOLS[mark.kind]}</span>
      <span className="sr-only">{label}</span>
    </span>
  );
}

/** A track's marks placed in tiers, and the room its raised tiers need above it. */
function placedIn(marks: readonly LaneMark[], model: LegTimelineModel, trackPx: number) {
  const placed = placeMarks(marks, model, (MARK_SPACING_PX / Math.max(trackPx, 1)) * 100);
  const tiers = Math.max(0, ...placed.map((mark) => mark.tier));
  return { placed, style: tiers > 0 ? { marginTop: `${tiers * MARK_SPACING_PX}px` } : undefined };
}

function LegLane({ lane, model, trackPx }: { lane: Lane; model: LegTimelineModel; trackPx: number }) {
  const marks = placedIn(lane.marks, model, trackPx);
  return (
    <div className="lane" data-channel={lane.leg.channelId}>
      <div className="lane-label" title={lane.leg.name}>
        <span className="lane-endpoint">{legLabel(lane.leg)}</span>
        <span className="lane-number muted">
          {lane.leg.callerNumber || lane.leg.exten || '–'}
          {lane.leg.causeText ? ` · ${lane.leg.causeText}` : ''}
        </span>
      </div>
      <div className="lane-track" style={marks.style}>
        {model.ticks.map((tick) => (
          <span key={tick.atMs} className="gridline" style={{ left: `${percentAlong(model, tick.atMs)}%` }} />
        ))}
        {lane.segments.map((segment, index) => {
          const left = percentAlong(model, segment.startMs);
          const width = Math.max(0.4, percentAlong(model, segment.endMs) - left);
          return (
            <span
              key={`${segment.kind}-${index}`}
              className={`seg seg-${segment.kind}`}
              style={{ left: `${left}%`, width: `${width}%` }}
              title={`${SEGMENT_LABELS[segment.kind]} ${offsetLabel(segment.startMs - model.startMs)} → ${offsetLabel(segment.endMs - model.startMs)}`}
            />
          );
        })}
        {marks.placed.map((mark, index) => (
          <Mark key={`${mark.kind}-${index}`} mark={mark} model={model} />
        ))}
      </div>
    </div>
  );
}

export function LegTimeline({ detail, nowMs }: { detail: CallDetail; nowMs: number }) {
  const model = buildLegTimeline(detail, nowMs);
  // Every track is as wide as the axis track: its width turns a mark's pixels into a share of the axis.
  const { ref: axisRef, width: trackPx } = useElementWidth<HTMLDivElement>(600);
  const callMarks = placedIn(model.callMarks, model, trackPx);
  return (
    <div className="leg-timeline">
      <div className="lanes">
        <div className="lane axis-lane" aria-hidden="true">
          <div className="lane-label" />
          <div className="lane-track axis-track" ref={axisRef}>
            {model.ticks.map((tick) => (
              <span key={tick.atMs} className="tick" style={{ left: `${percentAlong(model, tick.atMs)}%` }}>
                {tick.label}
              </span>
            ))}
          </div>
        </div>
        {model.lanes.map((lane) => (
          <LegLane key={lane.leg.channelId} lane={lane} model={model} trackPx={trackPx} />
        ))}
        {model.callMarks.length > 0 && (
          <div className="lane">
            <div className="lane-label">
              <span className="lane-endpoint">Call</span>
            </div>
            <div className="lane-track" style={callMarks.style}>
              {callMarks.placed.map((mark, index) => (
                <Mark key={`${mark.kind}-${index}`} mark={mark} model={model} />
              ))}
            </div>
          </div>
        )}
      </div>
      <ul className="legend" aria-label="Legend">
        {(['ringing', 'talking', 'bridged', 'held'] as const).map((kind) => (
          <li key={kind}>
            <span className={`legend-swatch seg-${kind}`} aria-hidden="true" /> {SEGMENT_LABELS[kind]}
          </li>
        ))}
        <li><span className="legend-mark mark-dtmf" aria-hidden="true">#</span> DTMF</li>
        <li><span className="legend-mark mark-transfer" aria-hidden="true">⇄</span> Transfer</li>
        <li><span className="legend-mark mark-hangup" aria-hidden="true">✕</span> Hangup</li>
      </ul>
    </div>
  );
}
