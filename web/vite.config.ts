import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The dashboard is built once at install time (`npm run build:web`) into web/dist, which the engine serves
// at `/`; nothing is fetched from a CDN at run time. `vite --config web/vite.config.ts` serves it with hot
// reload, proxying the API to an engine given by CALLFLOW_DEV_API (default http://127.0.0.1:4100).
const apiTarget = process.env.CALLFLOW_DEV_API ?? 'http://127.0.0.1:4100';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/api': { target: apiTarget, ws: true },
      '/health': apiTarget,
    },
  },
  logLevel: 'warn',
});
