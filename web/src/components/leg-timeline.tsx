// The call drawn over time: one lane per leg, positioned in percent so it stretches to any width.
import type { CallDetail } from '../api/types.ts';
import { buildLegTimeline, legLabel, offsetLabel, percentAlong, type LaneMark, type LegTimelineModel } from '../lib/leg-lanes.ts';
import { formatTime } from '../lib/format.ts';

const SEGMENT_LABELS = { ringing: 'Ringing', talking: 'Talking', bridged: 'Bridged', held: 'On hold' } as const;
const MARK_SYMBOLS = { dtmf: '#', transfer: '⇄', hangup: '✕', recording: '●' } as const;

function Mark({ mark, model }: { mark: LaneMark; model: LegTimelineModel }) {
  const label = `${mark.label} at ${formatTime(new Date(mark.atMs).toISOString())} (${offsetLabel(mark.atMs - model.startMs)})`;
  return (
    <span className={`mark mark-${mark.kind}`} style={{ left: `${percentAlong(model, mark.atMs)}%` }} title={label}>
      <span aria-hidden="true">{MARK_SYMBOLS[mark.kind]}</span>
      <span className="sr-only">{label}</span>
    </span>
  );
}

export function LegTimeline({ detail, nowMs }: { detail: CallDetail; nowMs: number }) {
  const model = buildLegTimeline(detail, nowMs);
  return (
    <div className="leg-timeline">
      <div className="lanes">
        <div className="lane axis-lane" aria-hidden="true">
          <div className="lane-label" />
          <div className="lane-track axis-track">
            {model.ticks.map((tick) => (
              <span key={tick.atMs} className="tick" style={{ left: `${percentAlong(model, tick.atMs)}%` }}>
                {tick.label}
              </span>
            ))}
          </div>
        </div>
        {model.lanes.map((lane) => (
          <div className="lane" key={lane.leg.channelId} data-channel={lane.leg.channelId}>
            <div className="lane-label" title={lane.leg.name}>
              <span className="lane-endpoint">{legLabel(lane.leg)}</span>
              <span className="lane-number muted">
                {lane.leg.callerNumber || lane.leg.exten || '–'}
                {lane.leg.causeText ? ` · ${lane.leg.causeText}` : ''}
              </span>
            </div>
            <div className="lane-track">
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
              {lane.marks.map((mark, index) => (
                <Mark key={`${mark.kind}-${index}`} mark={mark} model={model} />
              ))}
            </div>
          </div>
        ))}
        {model.callMarks.length > 0 && (
          <div className="lane">
            <div className="lane-label">
              <span className="lane-endpoint">Call</span>
            </div>
            <div className="lane-track">
              {model.callMarks.map((mark, index) => (
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
