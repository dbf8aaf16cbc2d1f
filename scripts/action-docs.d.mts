// Types of scripts/action-docs.mjs for the TypeScript tests.
export function tables(actionYml: string): { inputs: string; outputs: string };
export function withTables(readme: string, actionYml: string): string;
