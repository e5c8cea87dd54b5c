// An IVR menu drawn as a graph: the menu on the left, a line per key (and the failover) to the name of
// where it goes.
import { DTMF_KEYS, type IvrMenu } from '../../api/routing.ts';
import { describeDestination } from '../../lib/routing-words.ts';
import { useRouting } from '../../state/routing-directory.ts';

const ROW = 40;
const BOX_H = 28;
const WIDTH = 660;
const MENU_W = 170;
const TARGET_X = 330;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function IvrGraph({ menu }: { menu: IvrMenu }) {
  const { lists } = useRouting();
  const edges = [
    ...DTMF_KEYS.filter((key) => menu.options[key]).map((key) => ({ key, label: `key ${key}`, target: describeDestination(menu.options[key], lists) })),
    ...(menu.directDial ? [{ key: 'ext', label: 'dial', target: 'Any extension by its number' }] : []),
    { key: 'failover', label: 'else', target: describeDestination(menu.failover, lists) },
  ];
  const height = Math.max(edges.length * ROW + 12, BOX_H + 24);
  const menuY = height / 2 - BOX_H / 2;
  return (
    <figure className="ivr-graph" data-testid="ivr-graph">
      <svg viewBox={`0 0 ${WIDTH} ${height}`} width="100%" role="img" aria-label={`Menu ${menu.name} as a graph`}>
        <rect x={6} y={menuY} width={MENU_W} height={BOX_H} rx={6} className="ivr-node ivr-menu-node" />
        <text x={6 + MENU_W / 2} y={menuY + BOX_H / 2} className="ivr-text" textAnchor="middle" dominantBaseline="central">
          {clip(menu.name, 22)}
        </text>
        {edges.map((edge, index) => {
          const y = 6 + index * ROW;
          const midY = y + BOX_H / 2;
          const startX = 6 + MENU_W;
          return (
            <g key={edge.key} data-key={edge.key} className={edge.key === 'failover' ? 'ivr-edge ivr-failover' : 'ivr-edge'}>
              <path d={`M ${startX} ${menuY + BOX_H / 2} C ${startX + 70} ${menuY + BOX_H / 2}, ${TARGET_X - 70} ${midY}, ${TARGET_X} ${midY}`} className="ivr-line" fill="none" />
              <rect x={TARGET_X - 92} y={midY - 10} width={56} height={20} rx={10} className="ivr-key" />
              <text x={TARGET_X - 64} y={midY} className="ivr-key-text" textAnchor="middle" dominantBaseline="central">
                {edge.label}
              </text>
              <rect x={TARGET_X} y={y} width={WIDTH - TARGET_X - 6} height={BOX_H} rx={6} className="ivr-node" />
              <text x={TARGET_X + 10} y={midY} className="ivr-text" dominantBaseline="central">
                {clip(edge.target, 44)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
