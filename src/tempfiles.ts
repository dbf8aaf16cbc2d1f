// Files holding credentials on the runner: written owner-only in a fresh directory, removed
// with it by the post step. No Kubernetes client here, so the post bundle stays small.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function writePrivateFile(parent: string, name: string, content: string): string {
  const dir = mkdtempSync(join(parent, 'kubefed-'));
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

export function removePrivateFile(path: string): void {
  rmSync(dirname(path), { recursive: true, force: true });
}
