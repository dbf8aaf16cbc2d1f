// The core logs through this interface; the action maps it to @actions/core, the CLI to stderr.
export interface Log {
  info(message: string): void;
  warning(message: string): void;
  /** Opens a collapsible section in the workflow log; closed by the returned function. */
  group(title: string): () => void;
}

/** A Log that keeps the lines, for tests and for commands that print them at the end. */
export function memoryLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    group: (title) => {
      lines.push(`# ${title}`);
      return () => undefined;
    },
  };
}

/** A Log whose lines start with `[prefix]`, for work that runs in parallel (one per member). */
export function prefixed(log: Log, prefix: string): Log {
  return {
    info: (m) => log.info(`[${prefix}] ${m}`),
    warning: (m) => log.warning(`[${prefix}] ${m}`),
    group: (title) => log.group(`[${prefix}] ${title}`),
  };
}
