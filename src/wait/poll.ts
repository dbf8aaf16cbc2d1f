// Polling with a deadline, saying what is pending while it waits.
import type { Log } from '../report/log.js';

const PROGRESS_EVERY_MS = 10_000;

/**
 * Polls `probe` (which returns what is still pending, or null when done) until done or the
 * timeout, logging what is pending and the time left every ten seconds. The probe is asked for
 * details (`detailed`, which may cost more reads: why a part is not ready) only for those lines
 * and for the last word. Returns what was still pending at the timeout, or null.
 */
export async function pollUntil(
  what: string,
  timeoutMs: number,
  log: Log,
  probe: (detailed: boolean) => Promise<string | null>,
): Promise<string | null> {
  const start = Date.now();
  let lastReport = start;
  for (;;) {
    const due = Date.now() - lastReport >= PROGRESS_EVERY_MS;
    const pending = await probe(due);
    if (pending === null) return null;
    const now = Date.now();
    if (now - start >= timeoutMs) return due ? pending : await probe(true);
    if (due) {
      log.info(`waiting for ${what}: ${pending} (${Math.round((timeoutMs - (now - start)) / 1000)}s left)`);
      lastReport = now;
    }
    await new Promise((r) => setTimeout(r, Math.min(1000, timeoutMs / 20)));
  }
}

/** Like pollUntil, but a timeout is an error naming what was still pending. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  log: Log,
  probe: (detailed: boolean) => Promise<string | null>,
): Promise<void> {
  const pending = await pollUntil(what, timeoutMs, log, probe);
  if (pending !== null)
    throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}: ${pending}`);
}
