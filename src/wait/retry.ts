// Retrying without flooding (pure state, the caller keeps the clock): how long to wait before
// the next try, which writes are due again, and which failures have already been said.

/** The wait before try `attempt + 1` after `attempt` failures: doubling from `baseMs`, at most `maxMs`. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export interface Failure {
  /** What failed, as said to the user. */
  error: string;
  attempts: number;
  /** When it first failed (ms since the epoch). */
  since: number;
  /** Not tried again before this (ms since the epoch). */
  notBefore: number;
}

/**
 * The failing writes, by key: each is retried on its own, with back-off, while the others go
 * on; one that succeeds or is no longer wanted is forgotten.
 */
export class RetryBook {
  private readonly failing = new Map<string, Failure>();

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  /** Whether the write of `key` may be tried at `now`. */
  due(key: string, now: number): boolean {
    return (this.failing.get(key)?.notBefore ?? 0) <= now;
  }

  /** Records a failed try; returns the failure, with when to try again. */
  failed(key: string, error: string, now: number): Failure {
    const before = this.failing.get(key);
    const attempts = (before?.attempts ?? 0) + 1;
    const failure = {
      error,
      attempts,
      since: before?.since ?? now,
      notBefore: now + backoffMs(attempts, this.baseMs, this.maxMs),
    };
    this.failing.set(key, failure);
    return failure;
  }

  /** Records a success; returns how many tries had failed before it (0 when none). */
  succeeded(key: string): number {
    const attempts = this.failing.get(key)?.attempts ?? 0;
    this.failing.delete(key);
    return attempts;
  }

  /** Forgets the failures of writes that are no longer wanted. */
  keepOnly(keys: Set<string>): void {
    for (const key of this.failing.keys()) if (!keys.has(key)) this.failing.delete(key);
  }

  /** When the next failed write is due, or undefined when none is failing. */
  nextDue(): number | undefined {
    const times = [...this.failing.values()].map((f) => f.notBefore);
    return times.length ? Math.min(...times) : undefined;
  }

  entries(): [string, Failure][] {
    return [...this.failing.entries()].sort(([a], [b]) => a.localeCompare(b));
  }
}

/**
 * Failures said once: many sources (one watch per resource) failing for the same reason, over
 * and over while a server is down, make one line; the same reason is said again only after
 * every source that had it recovered.
 */
export class FailureNotes {
  private readonly sources = new Map<string, Set<string>>();

  /** Records that `source` failed for `reason`; true when the reason is new and should be said. */
  failed(source: string, reason: string): boolean {
    for (const [other, failing] of this.sources) if (other !== reason) failing.delete(source);
    for (const [other, failing] of this.sources) if (!failing.size) this.sources.delete(other);
    const failing = this.sources.get(reason);
    if (failing) {
      failing.add(source);
      return false;
    }
    this.sources.set(reason, new Set([source]));
    return true;
  }

  /** Records that `source` works again; true when it was failing. */
  recovered(source: string): boolean {
    let was = false;
    for (const [reason, failing] of this.sources) {
      was = failing.delete(source) || was;
      if (!failing.size) this.sources.delete(reason);
    }
    return was;
  }

  /** What is failing now: each reason with its sources. */
  current(): { reason: string; sources: string[] }[] {
    return [...this.sources].map(([reason, failing]) => ({ reason, sources: [...failing].sort() }));
  }
}
