import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { defaultAccess } from './auth.ts';
import { docsCsp, registerPageHeaders } from './security-headers.ts';

// The API reference at /docs. The page and its assets are public so a browser can show them; the document
// they load (/docs/json) needs a key like the rest of the API. The page sends the key the dashboard keeps
// in this origin's localStorage (`callflow.apiKey`) in the `x-api-key` header of its own requests, never in
// a URL and never to another origin; when the document is refused it asks for a key and keeps it there,
// where the dashboard finds it too.

export const DASHBOARD_KEY_STORAGE = 'callflow.apiKey';

// Browser code, handed to swagger-ui as source text (its options are written into a script file served
// from /docs/static), so it is kept as plain ES5 here rather than compiled TypeScript.
const REQUEST_INTERCEPTOR = `
  var key = null;
  try { key = window.localStorage.getItem(${JSON.stringify(DASHBOARD_KEY_STORAGE)}); } catch (e) { key = null; }
  var sameOrigin = new URL(request.url, window.location.href).origin === window.location.origin;
  var headers = request.headers || (request.headers = {});
  var given = headers['x-api-key'] || headers['X-Api-Key'] || headers.authorization || headers.Authorization;
  if (key && sameOrigin && !given) headers['x-api-key'] = key;
  return request;
`;

const RESPONSE_INTERCEPTOR = `
  var spec = /\\/docs\\/json$/.test(new URL(response.url, window.location.href).pathname);
  if (response.status === 401 && spec && !window.__callflowAsked) {
    window.__callflowAsked = true;
    var key = window.prompt('This engine needs an API key to show its API. Key (kept in this browser, as the dashboard keeps it):');
    if (key && key.trim() !== '') {
      try { window.localStorage.setItem(${JSON.stringify(DASHBOARD_KEY_STORAGE)}, key.trim()); } catch (e) {}
      window.location.reload();
    }
  }
  return response;
`;

export async function registerDocsPage(app: FastifyInstance): Promise<void> {
  await app.register(async (docs) => {
    const isDocument = (url: string): boolean => url.startsWith('/docs/json') || url.startsWith('/docs/yaml');
    defaultAccess(docs, (url) => (isDocument(url) ? 'key' : 'public'));
    await registerPageHeaders(docs, (url) => !isDocument(url));
    await docs.register(fastifySwaggerUi, {
      routePrefix: '/docs',
      uiConfig: {
        // swagger-ui writes functions into its script by their source text.
        requestInterceptor: new Function('request', REQUEST_INTERCEPTOR) as (request: unknown) => unknown,
        responseInterceptor: new Function('response', RESPONSE_INTERCEPTOR) as (response: unknown) => unknown,
      } as never,
      transformStaticCSP: docsCsp,
    });
  });
}
