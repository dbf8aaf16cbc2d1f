// Files holding credentials on the runner: written owner-only in a fresh directory of the main
// step's own, removed with it by the post step, which removes nothing else. No Kubernetes
// client here, so the post bundle stays small.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const PREFIX = 'kubefed-';
/** Holds the directory's nonce: the proof that the main step made it. */
const MARKER = '.kubefed-action';

/** The main step's state for the post step: the kubeconfig file it wrote, and that file's nonce. */
export const STATE = { kubeconfig: 'kubeconfig', nonce: 'kubeconfig-nonce' } as const;

export interface PrivateFile {
  path: string;
  /** Saved as state by the main step; the post step removes the directory only if it matches. */
  nonce: string;
}

export function writePrivateFile(parent: string, name: string, content: string): PrivateFile {
  const dir = mkdtempSync(join(parent, PREFIX));
  const nonce = randomBytes(16).toString('hex');
  writeFileSync(join(dir, MARKER), nonce, { mode: 0o600 });
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return { path, nonce };
}

/**
 * Removes the directory of a file writePrivateFile wrote, and says why not when the path (from
 * the step's state, which anything in the job may have written) is not such a directory: it
 * must be directly under `parent` (RUNNER_TEMP), carry the prefix, and hold the nonce.
 */
export function removePrivateFile(path: string, nonce: string, parent: string): string | null {
  const dir = dirname(path);
  if (!existsSync(dir)) return null;
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return `${dir} cannot be resolved`;
  }
  if (dirname(real) !== realpathSync(parent) || !basename(real).startsWith(PREFIX))
    return `${dir} is not a directory the main step made under ${parent}`;
  const marker = join(real, MARKER);
  if (!nonce || !existsSync(marker) || readFileSync(marker, 'utf8') !== nonce)
    return `${dir} is not the directory the main step recorded`;
  rmSync(real, { recursive: true, force: true });
  return null;
}
