import type { SqlClient } from '../../store/sql-client.ts';
import type { OAuthTokens, TokenStore } from './auth.ts';

// Bitrix24 rotates the refresh token on every refresh: the pair lives in the database so a restart
// or another instance continues with the valid one.

export function sqlTokenStore(sql: SqlClient, sink: string): TokenStore {
  return {
    async load() {
      const rows = await sql.query<{ access_token: string; refresh_token: string }>(
        'SELECT access_token, refresh_token FROM crm_tokens WHERE sink = $1',
        [sink],
      );
      const row = rows[0];
      return row ? { accessToken: row.access_token, refreshToken: row.refresh_token } : null;
    },
    async save(tokens: OAuthTokens) {
      await sql.query(
        `INSERT INTO crm_tokens (sink, access_token, refresh_token) VALUES ($1, $2, $3)
         ON CONFLICT (sink) DO UPDATE SET access_token = EXCLUDED.access_token,
           refresh_token = EXCLUDED.refresh_token, updated_at = now()`,
        [sink, tokens.accessToken, tokens.refreshToken],
      );
    },
  };
}
