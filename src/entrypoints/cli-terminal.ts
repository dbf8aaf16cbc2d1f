// The CLI's terminal: progress on stderr with every registered credential redacted, and the
// kubeconfig files a kubectl user expects to be read.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeconfigError, type LoadedKubeconfig, loadKubeconfig } from '../inputs/kubeconfig.js';
import { type Log, safeLog } from '../report/log.js';

/**
 * Progress on stderr, with every credential the run registers replaced by ***, and no line a
 * CI runner would take as a command (the CLI may run inside a GitHub workflow step too).
 */
export function terminalLog(): Log & { mask: (secret: string) => void; redact: (text: string) => string } {
  const secrets: string[] = [];
  // Longest first: a secret that holds a shorter one is redacted whole.
  const redact = (m: string) => secrets.reduce((text, s) => text.split(s).join('***'), m);
  const log = safeLog({
    info: (m) => process.stderr.write(`${redact(m)}\n`),
    warning: (m) => process.stderr.write(`warning: ${redact(m)}\n`),
    group: (title) => {
      process.stderr.write(`== ${redact(title)}\n`);
      return () => undefined;
    },
  });
  return {
    ...log,
    redact,
    mask: (secret) => {
      if (secret.length >= 4) secrets.push(...secret.split('\n').filter((l) => l.length >= 4), secret);
      secrets.sort((a, b) => b.length - a.length);
    },
  };
}

/** The kubeconfig files: --kubeconfig, else every path of $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigPaths(flag: string | undefined): string[] {
  if (flag) return [flag];
  const fromEnv = (process.env.KUBECONFIG ?? '').split(':').filter((p) => p !== '');
  return fromEnv.length ? fromEnv : [join(homedir(), '.kube', 'config')];
}

/** Those of `paths` that exist, merged as kubectl merges them. */
export function readKubeconfig(paths: string[]): LoadedKubeconfig {
  const texts = paths.filter((p) => existsSync(p)).map((p) => readFileSync(p, 'utf8'));
  if (texts.length === 0) throw new KubeconfigError(`kubeconfig: none of ${paths.join(', ')} exists`);
  return loadKubeconfig(texts.join('\n---\n'));
}
