// Types of scripts/runner.mjs for the TypeScript tests.
import type { ChildProcess } from 'node:child_process';

export function parseFileCommands(text: string): Record<string, string>;
export function shown(log: string): string;
export interface RunnerStep {
  dir: string;
  env: Record<string, string>;
  outputs: () => Record<string, string>;
  state: () => Record<string, string>;
  summary: () => string;
}
export function runnerStep(inputs: Record<string, string>): RunnerStep;
export function runStep(
  inputs: Record<string, string>,
  options?: { entry?: string; argv?: string[]; timeoutMs?: number; maxBuffer?: number },
): RunnerStep & { status: number | null; stdout: string; stderr: string; ms: number };
export function startStep(
  inputs: Record<string, string>,
  entry?: string,
  options?: { onLine?: (line: string, stream: 'stdout' | 'stderr') => void },
): RunnerStep & {
  child: ChildProcess;
  done: Promise<{ status: number | null; signal: NodeJS.Signals | null; log: string; outputs: Record<string, string> }>;
};
