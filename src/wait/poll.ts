// Polling with a deadline, saying what is pending while it waits.
import type { Log } from '../report/log.js';
import { backoffMs } from './retry.js';

const PROGRESS_EVERY_MS = 10_000;
const FIRST_DELAY_MS = 50;

/**
 * The pause before the probe's next look: 50 ms at first, doubling up to a second (a twentieth
 * of a short timeout). What is waited for is often a moment away, as a token the token
 * controller fills in milliseconds: a fixed second cost every first join a second on loopback.
 */
export function pollDelayMs(attempt: number, timeoutMs: number): number {
  return backoffMs(attempt, FIRST_DELAY_MS, Math.min(1000, timeoutMs / 20));
}

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
  for (let attempt = 1; ; attempt++) {
    const due = Date.now() - lastReport >= PROGRESS_EVERY_MS;
    const pending = await probe(due);
    if (pending === null) return null;
    const now = Date.now();
    if (now - start >= timeoutMs) return due ? pending : await probe(true);
    if (due) {
      log.info(`waiting for ${what}: ${pending} (${Math.round((timeoutMs - (now - start)) / 1000)}s left)`);
      lastReport = now;
    }
    await new Promise((r) => setTimeout(r, pollDelayMs(attempt, timeoutMs)));
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
