// How a database thread (pg-write-thread.js, pglite-thread.js) reports a failure across the thread
// boundary, and the Error it becomes again on this side.

export interface ThreadError {
  message: string;
  /** SQLSTATE or Node socket error code, as toStoreError reads it. */
  code?: string;
  name: string;
}

/** An Error carrying the driver's `code` (SQLSTATE or socket error), as toStoreError expects. */
export function errorOf(reply: ThreadError): Error {
  const error = new Error(reply.message) as Error & { code?: string };
  error.name = reply.name;
  if (reply.code !== undefined) error.code = reply.code;
  return error;
}
