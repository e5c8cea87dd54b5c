import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { applyTheme } from './state/theme.ts';
import './styles/base.css';
import './styles/controls.css';
import './styles/rows.css';
import './styles/call-detail.css';
import './styles/charts-health.css';
import './styles/accounts.css';
import './styles/routing.css';
import './styles/console.css';

applyTheme();

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
