// The top bar's theme switch: System (follow the operating system), Light or Dark.
import { THEME_CHOICES, THEME_LABELS, parseThemeChoice } from '../lib/theme.ts';
import { setThemeChoice, useThemeChoice } from '../state/theme.ts';

export function ThemeSwitch() {
  const choice = useThemeChoice();
  return (
    <select
      className="theme-switch"
      aria-label="Theme"
      data-testid="theme-switch"
      value={choice}
      onChange={(event) => setThemeChoice(parseThemeChoice(event.target.value))}
    >
      {THEME_CHOICES.map((each) => (
        <option key={each} value={each}>
          {THEME_LABELS[each]}
        </option>
      ))}
    </select>
  );
}
