// Plain SVG and CSS charts: the dashboard needs three simple shapes, not a charting library's weight.
import type { CallStats } from '../api/types.ts';
import { gridValues, labelEvery, niceCeiling } from '../lib/chart-scale.ts';
import { formatCount, formatPercent } from '../lib/format.ts';
import { useElementWidth } from './use-width.ts';

const HEIGHT = 220;
/** Room one x label needs, in pixels. */
const LABEL_SLOT_PX = 74;
const PAD = { top: 12, right: 8, bottom: 28, left: 40 };

function hourLabel(iso: string, withDay: boolean): string {
  const date = new Date(iso);
  const time = `${String(date.getHours()).padStart(2, '0')}:00`;
  if (!withDay) return time;
  return `${date.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}

/** Calls per hour, answered stacked under the rest. */
export function HourlyBars({ perHour }: { perHour: CallStats['perHour'] }) {
  const { ref, width } = useElementWidth<HTMLDivElement>(720);
  const max = niceCeiling(Math.max(0, ...perHour.map((bucket) => bucket.total)));
  const plotWidth = width - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / Math.max(1, perHour.length);
  const barWidth = Math.max(1, Math.min(28, slot * 0.72));
  const every = labelEvery(perHour.length, Math.floor(plotWidth / LABEL_SLOT_PX));
  const spansDays = perHour.length > 24;
  const y = (value: number) => PAD.top + plotHeight - (value / max) * plotHeight;

  return (
    <div ref={ref} className="chart-box">
    <svg className="chart" viewBox={`0 0 ${width} ${HEIGHT}`} role="img" aria-label="Calls per hour">
      {gridValues(max).map((value) => (
        <g key={value}>
          <line className="grid" x1={PAD.left} x2={width - PAD.right} y1={y(value)} y2={y(value)} />
          <text className="axis" x={PAD.left - 6} y={y(value) + 4} textAnchor="end">
            {formatCount(value)}
          </text>
        </g>
      ))}
      {perHour.map((bucket, index) => {
        const x = PAD.left + slot * index + (slot - barWidth) / 2;
        const unanswered = bucket.total - bucket.answered;
        return (
          <g key={bucket.hour} className="bar-group">
            <title>
              {`${hourLabel(bucket.hour, true)}: ${bucket.total} calls, ${bucket.answered} answered`}
            </title>
            {bucket.answered > 0 && (
              <rect className="bar answered" x={x} width={barWidth} y={y(bucket.answered)} height={y(0) - y(bucket.answered)} rx="2" />
            )}
            {unanswered > 0 && (
              <rect className="bar unanswered" x={x} width={barWidth} y={y(bucket.total)} height={y(bucket.answered) - y(bucket.total)} rx="2" />
            )}
            {index % every === 0 && (
              <text className="axis" x={x + barWidth / 2} y={HEIGHT - 8} textAnchor="middle">
                {hourLabel(bucket.hour, spansDays && index === 0)}
              </text>
            )}
            {/* a wide transparent target so a thin bar is still easy to hover */}
            <rect x={PAD.left + slot * index} width={slot} y={PAD.top} height={plotHeight} fill="transparent" />
          </g>
        );
      })}
    </svg>
    </div>
  );
}

export interface BarItem {
  key: string;
  label: string;
  value: number;
  tone?: string;
}

/** Horizontal bars with labels and counts: dispositions, directions, busiest numbers, event types. */
export function BarList({ items, total }: { items: BarItem[]; total?: number }) {
  const max = Math.max(1, ...items.map((item) => item.value));
  const sum = total ?? items.reduce((acc, item) => acc + item.value, 0);
  return (
    <ul className="bar-list">
      {items.map((item) => (
        <li key={item.key} className={item.tone ? `tone-${item.tone}` : undefined}>
          <div className="bar-list-head">
            <span className="bar-list-label">{item.label}</span>
            <span className="bar-list-value">
              {formatCount(item.value)}
              {sum > 0 && <span className="muted"> · {formatPercent(item.value / sum)}</span>}
            </span>
          </div>
          <div className="bar-track">
            <div className="bar-fill" style={{ width: `${(item.value / max) * 100}%` }} />
          </div>
        </li>
      ))}
    </ul>
  );
}

/** A ring filled to a ratio, for the answer rate. */
export function RateRing({ ratio, label }: { ratio: number; label: string }) {
  const radius = 42;
  const circumference = 2 * Math.PI * radius;
  const clamped = Math.min(1, Math.max(0, Number.isFinite(ratio) ? ratio : 0));
  return (
    <svg className="rate-ring" viewBox="0 0 100 100" role="img" aria-label={`${label} ${formatPercent(clamped)}`}>
      <circle className="ring-track" cx="50" cy="50" r={radius} />
      <circle
        className="ring-fill"
        cx="50"
        cy="50"
        r={radius}
        strokeDasharray={`${circumference * clamped} ${circumference}`}
        transform="rotate(-90 50 50)"
      />
      <text x="50" y="55" textAnchor="middle" className="ring-text">
        {formatPercent(clamped)}
      </text>
    </svg>
  );
}
