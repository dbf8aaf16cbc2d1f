// A CoreDNS member's Corefile with the federation's server block (pure): pods ask for
// `<svc>.<ns>.<fed>.svc.cluster.local`, as federation v1 let them, and CoreDNS rewrites that to
// the federation's zone and forwards it to the zone's servers. The block sits between marker
// comments at the end, so it is found again, replaced, or removed leaving the rest byte for
// byte as it was.
const CLUSTER_DOMAIN = 'cluster.local';

export interface FederationBlock {
  federation: string;
  /** The federation's zone (dns-zone-name), with its root dot. */
  zone: string;
  /** Where the zone's names are answered: resolvers (host[:port]) or a resolv.conf path. */
  forwardTo: string[];
}

const markers = (federation: string) => ({
  begin: `# kubefed-action federation ${federation}: begin (kept by kubefed-action; edits here are replaced)`,
  end: `# kubefed-action federation ${federation}: end`,
});

/** The server block, with the port the Corefile's own server blocks use (53 by default). */
export function serverBlock(block: FederationBlock, port: string): string {
  const local = `.${block.federation}.svc.${CLUSTER_DOMAIN}.`;
  const global = `.${block.federation}.svc.${block.zone.endsWith('.') ? block.zone : `${block.zone}.`}`;
  return [
    `${block.federation}.svc.${CLUSTER_DOMAIN}:${port} {`,
    '    errors',
    '    rewrite stop {',
    `        name suffix ${local} ${global} answer auto`,
    '    }',
    `    forward . ${block.forwardTo.join(' ')}`,
    '}',
  ].join('\n');
}

/** The port of the Corefile's root server block (".:53"), which the new block shares. */
function serverPort(corefile: string): string {
  return /^\s*\.:(\d+)\s*\{/m.exec(corefile)?.[1] ?? '53';
}

/** Where this federation's marked section is, with the newline before it that joining added. */
function section(corefile: string, federation: string): { start: number; end: number } | undefined {
  const { begin, end } = markers(federation);
  const start = corefile.indexOf(`\n${begin}\n`);
  if (start < 0) return undefined;
  const close = corefile.indexOf(`\n${end}\n`, start);
  return close < 0 ? undefined : { start, end: close + end.length + 2 };
}

export type CorefilePlan = { corefile: string } | { unchanged: true } | { refused: string };

/** The Corefile with the federation's block in place (added at the end, or replaced). */
export function withFederationBlock(corefile: string, block: FederationBlock): CorefilePlan {
  const { begin, end } = markers(block.federation);
  const text = `\n${begin}\n${serverBlock(block, serverPort(corefile))}\n${end}\n`;
  const found = section(corefile, block.federation);
  const rest = found ? corefile.slice(0, found.start) + corefile.slice(found.end) : corefile;
  // CoreDNS refuses a Corefile that serves one zone twice: never write one.
  const zone = `${block.federation}.svc.${CLUSTER_DOMAIN}`;
  if (new RegExp(`(^|[\\s,])${zone.replaceAll('.', '\\.')}\\.?(:\\d+)?[\\s,{]`, 'm').test(rest)) {
    return {
      refused: `its Corefile already has a server block for ${zone}, not kubefed-action's; it is left as it is`,
    };
  }
  if (found && corefile.slice(found.start, found.end) === text) return { unchanged: true };
  // Appended after the last byte, so that removing exactly this text restores the original.
  return { corefile: found ? corefile.slice(0, found.start) + text + corefile.slice(found.end) : corefile + text };
}

/** The Corefile without the federation's block (unchanged when it has none). */
export function withoutFederationBlock(corefile: string, federation: string): CorefilePlan {
  const found = section(corefile, federation);
  return found ? { corefile: corefile.slice(0, found.start) + corefile.slice(found.end) } : { unchanged: true };
}

/** For plans and logs: the block's settings, one line. */
export function describeBlock(block: FederationBlock): string {
  const from = `${block.federation}.svc.${CLUSTER_DOMAIN}`;
  return `${from} → ${block.federation}.svc.${block.zone} via ${block.forwardTo.join(' ')}`;
}
