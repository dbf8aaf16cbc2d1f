// Types of scripts/terminal-log.mjs for the TypeScript tests.
export function workflowLogReader(options?: { debug?: boolean }): (line: string) => string[];
export function markdownForTerminal(markdown: string): string;
