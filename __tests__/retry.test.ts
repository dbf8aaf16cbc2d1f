// Unit tests of the timing parts (pure): the DNS controller's debounce bound, its back-off, the
// failing writes retried each on its own, and failures said once; the waits' polling pace.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { debounce } from '../src/wait/debounce.js';
import { FailureNotes, RetryBook, backoffMs } from '../src/wait/retry.js';
import { pollDelayMs } from '../src/wait/poll.js';

describe('the debounce', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  test('a burst makes one run after the quiet time', () => {
    let runs = 0;
    const ask = debounce(() => runs++, 100, 1000);
    for (let i = 0; i < 5; i++) ask();
    jest.advanceTimersByTime(99);
    expect(runs).toBe(0);
    jest.advanceTimersByTime(1);
    expect(runs).toBe(1);
  });

  test('an event every 50 ms cannot hold the run back for more than the bound', () => {
    let runs = 0;
    const ask = debounce(() => runs++, 100, 1000);
    // 10 s of one event every 50 ms: a debounce without a bound never runs.
    for (let t = 0; t < 10_000; t += 50) {
      ask();
      jest.advanceTimersByTime(50);
    }
    expect(runs).toBeGreaterThanOrEqual(9);
    expect(runs).toBeLessThanOrEqual(11);
    ask.cancel();
    jest.advanceTimersByTime(5000);
    expect(runs).toBeLessThanOrEqual(11);
  });
});

describe('polling', () => {
  test('looks again soon, then at most every second (a twentieth of a short timeout)', () => {
    const attempts = [1, 2, 3, 4, 5, 6, 30];
    expect(attempts.map((n) => pollDelayMs(n, 300_000))).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
    expect(attempts.map((n) => pollDelayMs(n, 4000))).toEqual([50, 100, 200, 200, 200, 200, 200]);
  });
});

describe('retrying', () => {
  test('the back-off doubles from the base up to the bound', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map((n) => backoffMs(n, 1000, 16_000))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 16_000, 16_000,
    ]);
  });

  test('each failing write waits on its own; success or no longer wanted forgets it', () => {
    const book = new RetryBook(1000, 60_000);
    expect(book.due('shop/web', 0)).toBe(true);
    expect(book.failed('shop/web', 'HTTP 409', 0)).toEqual({
      error: 'HTTP 409',
      attempts: 1,
      since: 0,
      notBefore: 1000,
    });
    expect(book.failed('shop/web', 'HTTP 409', 1000)).toMatchObject({ attempts: 2, since: 0, notBefore: 3000 });
    book.failed('shop/api', 'HTTP 403', 500);
    expect([book.due('shop/web', 2999), book.due('shop/web', 3000), book.due('shop/other', 0)]).toEqual([
      false,
      true,
      true,
    ]);
    expect(book.nextDue()).toBe(1500);
    expect(book.succeeded('shop/api')).toBe(1);
    book.keepOnly(new Set());
    expect(book.entries()).toEqual([]);
    expect(book.nextDue()).toBeUndefined();
  });

  test('four watches failing alike are said once, and again only after they recovered', () => {
    const notes = new FailureNotes();
    const said = ['services', 'statuses', 'clusters', 'endpoints', 'services', 'statuses'].map((w) =>
      notes.failed(w, 'connect ECONNREFUSED'),
    );
    expect(said).toEqual([true, false, false, false, false, false]);
    expect(notes.failed('endpoints', 'HTTP 403: forbidden')).toBe(true);
    expect(notes.current()).toEqual([
      { reason: 'connect ECONNREFUSED', sources: ['clusters', 'services', 'statuses'] },
      { reason: 'HTTP 403: forbidden', sources: ['endpoints'] },
    ]);
    for (const w of ['services', 'statuses', 'clusters']) expect(notes.recovered(w)).toBe(true);
    expect(notes.recovered('services')).toBe(false);
    expect(notes.failed('services', 'connect ECONNREFUSED')).toBe(true);
  });
});
