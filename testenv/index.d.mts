// Types of the launcher (index.mjs) for the TypeScript tests.
export interface TestenvInfo {
  kubeconfig: string;
  etcd: string;
  /** The DNS provider's server (CoreDNS answering from etcd's /skydns), "172.30.N.1:PORT" (testenv's bridge), UDP and TCP. */
  dns: string;
  auditDir: string;
  /** One per context: a SERVER=CTX1+CTX2 entry lists each CTX, with the shared server and audit log. */
  clusters: { name: string; context: string; server: string; auditLog: string }[];
}
export const defaultState: string;
export function ensureBinaries(): string;
export function up(options?: {
  clusters?: string;
  kubeconfig?: string;
  state?: string;
  watchPid?: number;
  /** One-way delay in front of every API server, as Go writes a duration: "25ms". */
  latency?: string;
}): TestenvInfo;
export function down(options?: { state?: string }): void;
export function readInfo(state?: string): TestenvInfo;
