/** The caller's address as the Node server saw it (not a header a caller could forge). */
import type { Context } from 'hono';

export async function clientOf(c: Context): Promise<string> {
  try {
    const { getConnInfo } = await import('@hono/node-server/conninfo');
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'in-process'; // app.request() in tests has no socket
  }
}
