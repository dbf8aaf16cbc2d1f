// One object's states as a watch tells them, for a wait that should end as soon as the object
// changes: a read after a write finds a controller's change a round trip later than a watch
// opened before the write tells it (issue 23: a member's token on its first join).
import { StringDecoder } from 'node:string_decoder';
import type { KubeObject } from '../desired/objects.js';
import type { Cluster } from './cluster.js';

export interface ObjectWatch<T> {
  /** The first value `pick` finds in the object's states; undefined once the watch failed or ended without one. */
  found: Promise<T | undefined>;
  stop(): void;
}

/**
 * Watches the object `name` in `collection` (its list's path, as /api/v1/namespaces/ns/secrets)
 * for at most `timeoutMs`. Opened without a resourceVersion, the watch first tells the object's
 * state when it exists, then each change. Never rejects: a watch refused or broken ends it.
 */
export function watchObject<T>(
  cluster: Cluster,
  collection: string,
  name: string,
  timeoutMs: number,
  pick: (object: KubeObject) => T | undefined,
): ObjectWatch<T> {
  const ended = new AbortController();
  const query = new URLSearchParams({
    watch: 'true',
    fieldSelector: `metadata.name=${name}`,
    timeoutSeconds: String(Math.ceil(timeoutMs / 1000)),
  });
  const stop = () => {
    clearTimeout(timer);
    ended.abort(new Error('the watch ended'));
  };
  const timer = setTimeout(stop, timeoutMs);
  const found = (async () => {
    const answer = await cluster.stream(`${collection}?${query}`, ended.signal);
    if (answer.status !== 200) return undefined;
    for await (const event of watchEvents(answer.body)) {
      if (event.type !== 'ADDED' && event.type !== 'MODIFIED') return undefined;
      const value = pick(event.object);
      if (value !== undefined) return value;
    }
    return undefined;
  })()
    .catch(() => undefined)
    .finally(stop);
  return { found, stop };
}

/** A watch's events, one JSON document a line. */
async function* watchEvents(body: AsyncIterable<Buffer>): AsyncGenerator<{ type: string; object: KubeObject }> {
  const text = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of body) {
    pending += text.write(chunk);
    let end;
    while ((end = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      if (line.trim()) yield JSON.parse(line) as { type: string; object: KubeObject };
    }
  }
}
