import type { Bitrix24Config } from '../config.ts';

// Employees as Bitrix24 knows them: the extension → user map, with USER_PHONE_INNER for extensions
// the map lacks (Bitrix24 resolves an employee's inner number itself).

export type BitrixUser = { USER_ID: number } | { USER_PHONE_INNER: string };

export function userForExtension(config: Bitrix24Config, extension: string | null): BitrixUser | null {
  if (extension !== null) {
    const id = config.userMap[extension];
    return id !== undefined ? { USER_ID: id } : { USER_PHONE_INNER: extension };
  }
  const fallback = config.defaultUserId ?? webhookOwner(config.webhookUrl);
  return fallback !== null ? { USER_ID: fallback } : null;
}

/** The user an incoming webhook belongs to (`/rest/<user>/<code>/`): a real user of the portal. */
export function webhookOwner(webhookUrl: string | undefined): number | null {
  const match = webhookUrl ? /\/rest\/(\d+)\/[^/]+/.exec(new URL(webhookUrl).pathname) : null;
  return match ? Number(match[1]) : null;
}

/** User ids of the mapped extensions (show / hide need ids). */
export function userIdsOf(config: Bitrix24Config, extensions: Iterable<string>): number[] {
  const ids = new Set<number>();
  for (const ext of extensions) {
    const id = config.userMap[ext];
    if (id !== undefined) ids.add(id);
  }
  return [...ids];
}

export function extensionOfUser(config: Bitrix24Config, userId: number): string | null {
  for (const [ext, id] of Object.entries(config.userMap)) if (id === userId) return ext;
  return null;
}
