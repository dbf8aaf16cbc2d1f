// Types of the launcher (index.mjs) for the TypeScript tests.
export interface TestenvInfo {
  kubeconfig: string;
  etcd: string;
  auditDir: string;
  clusters: { name: string; context: string; server: string; auditLog: string }[];
}
export const defaultState: string;
export function ensureBinaries(): string;
export function up(options?: { clusters?: string; kubeconfig?: string; state?: string; watchPid?: number }): TestenvInfo;
export function down(options?: { state?: string }): void;
export function readInfo(state?: string): TestenvInfo;
