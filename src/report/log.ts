// The core logs through this interface; the action maps it to @actions/core, the CLI to stderr.
export interface Log {
  info(message: string): void;
  warning(message: string): void;
  /** Opens a collapsible section in the workflow log; closed by the returned function. */
  group(title: string): () => void;
}

/**
 * Text as a workflow log shows it but a runner cannot execute: a runner takes a line that
 * starts with `::` (after white space) or holds `##[` as a command, so text read from a cluster
 * could otherwise set outputs, state or masks. A zero-width space breaks each such marker.
 * Every line the core logs goes through this, whoever wrote its text.
 */
export function neutralizeCommands(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/^(\s*):(?=:)/, '$1:\u200b').replaceAll('##[', '##\u200b['))
    .join('\n');
}

/** A Log over plain writers, with every line neutralized (the action's and the CLI's). */
export function safeLog(write: {
  info: (m: string) => void;
  warning: (m: string) => void;
  group: (title: string) => () => void;
}): Log {
  return {
    info: (m) => write.info(neutralizeCommands(m)),
    warning: (m) => write.warning(neutralizeCommands(m)),
    group: (title) => write.group(neutralizeCommands(title)),
  };
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

/**
 * A Log that holds its lines until `release`, then writes them to `log` in order and passes
 * every later line straight through: for work started ahead of its place in the log (a member's
 * side of its join, under way while the control plane's section is open).
 */
export function heldLog(log: Log): { log: Log; release: () => void } {
  let held: ((to: Log) => void)[] | undefined = [];
  const write = (line: (to: Log) => void) => (held ? held.push(line) : line(log));
  return {
    log: {
      info: (m) => write((to) => to.info(m)),
      warning: (m) => write((to) => to.warning(m)),
      group: (title) => {
        let close: (() => void) | undefined;
        write((to) => (close = to.group(title)));
        return () => write(() => close?.());
      },
    },
    release: () => {
      const lines = held ?? [];
      held = undefined;
      for (const line of lines) line(log);
    },
  };
}
