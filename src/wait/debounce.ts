// Many events, one run: a burst of changes (a Service on five members) makes one pass, and a
// steady stream of them cannot hold the pass back for more than a bound.

export interface Debounced {
  /** Asks for a run: after `quietMs` without another ask, and never later than `maxDelayMs` after the first. */
  (): void;
  /** Drops a run asked for and not yet started. */
  cancel(): void;
}

export function debounce(run: () => void, quietMs: number, maxDelayMs: number): Debounced {
  let timer: NodeJS.Timeout | undefined;
  let firstAsk: number | undefined;
  const fire = () => {
    timer = undefined;
    firstAsk = undefined;
    run();
  };
  const ask = () => {
    const now = Date.now();
    firstAsk ??= now;
    clearTimeout(timer);
    timer = setTimeout(fire, Math.max(0, Math.min(quietMs, firstAsk + maxDelayMs - now)));
  };
  ask.cancel = () => {
    clearTimeout(timer);
    timer = undefined;
    firstAsk = undefined;
  };
  return ask;
}
