// The Examples section of every command's --help, from one table. A test reads them back from
// the help of each command and runs them, in this order, against real clusters: every example
// here works as written (with the guide's contexts: rivendell hosts, gondor and noldor join).
import type { Command } from 'commander';

/** What the example does (a `#` line in the help), and the command line as a user types it. */
export type Example = [purpose: string, line: string];

const HOST = '--host-cluster-context=rivendell';

export const EXAMPLES: Record<string, Example[]> = {
  init: [
    [
      'deploy the control plane on the host cluster, its DNS records published to a CoreDNS etcd',
      `kubefed init fellowship ${HOST} --dns-provider=coredns --dns-zone-name=example.com. ` +
        '--dns-provider-config=coredns-provider.conf',
    ],
    [
      'print what init with a CoreDNS provider would change, as JSON, and write nothing',
      `kubefed init fellowship ${HOST} --dns-provider=coredns --dns-zone-name=example.com. ` +
        '--dns-provider-config=coredns-provider.conf --dry-run -o json',
    ],
  ],
  join: [
    [
      'join a cluster whose kubeconfig context has another name',
      `kubefed join gondor ${HOST} --cluster-context=gondor_needs-no_king`,
    ],
    [
      'join a cluster, its credentials kept under another Secret name',
      `kubefed join noldor ${HOST} --secret-name=11kingdom`,
    ],
  ],
  enable: [
    ['propagate a type to every member', `kubefed enable deployments.apps ${HOST}`],
    [
      'propagate any type the federation API serves (a CRD by its plural.group too)',
      `kubefed enable statefulsets.apps ${HOST}`,
    ],
  ],
  disable: [
    [
      'stop propagating a type (its Federated<Kind> CRD is kept, as kubefedctl)',
      `kubefed disable statefulsets.apps ${HOST}`,
    ],
    [
      'stop propagating a type and delete its CRD (refused while objects of it exist)',
      `kubefed disable jobs.batch --delete-crd ${HOST}`,
    ],
  ],
  federate: [
    ['make a namespace of the federation API a FederatedNamespace', `kubefed federate namespace mordor ${HOST}`],
    [
      'print the FederatedConfigMap of a ConfigMap, write nothing (as kubefedctl federate -o yaml)',
      `kubefed federate configmap ring -n mordor ${HOST} -o yaml`,
    ],
    [
      'print the Federated<Kind> of each object in a YAML file (- reads stdin); needs no cluster',
      'kubefed federate -f ring.yaml',
    ],
    [
      'federate a namespace with everything in it, but its Secrets',
      `kubefed federate namespace mordor --contents --skip-api-resources=secrets ${HOST}`,
    ],
    [
      'federate a ConfigMap and wait until every member it is placed on has it',
      `kubefed federate configmap ring -n mordor --wait ${HOST}`,
    ],
  ],
  'orphaning-deletion': [
    [
      "keep a federated object's objects in the members when it is deleted",
      `kubefed orphaning-deletion enable FederatedNamespace mordor -n mordor ${HOST}`,
    ],
    ['print Enabled or Disabled', `kubefed orphaning-deletion status FederatedNamespace mordor -n mordor ${HOST}`],
    ['delete them with it again', `kubefed orphaning-deletion disable FederatedNamespace mordor -n mordor ${HOST}`],
  ],
  status: [
    [
      'whether every federated object reached the members it is placed on; exit 1 while one has not',
      `kubefed status ${HOST}`,
    ],
    [
      'one federated object, as JSON, once it is delivered (or the timeout)',
      `kubefed status federatedconfigmaps ring -n mordor --wait --timeout=2m ${HOST} -o json`,
    ],
  ],
  unjoin: [['remove a cluster from the federation', `kubefed unjoin gondor ${HOST}`]],
  plan: [
    [
      'print what converging to one member would change, write nothing',
      `kubefed plan fellowship ${HOST} --clusters=noldor`,
    ],
  ],
  check: [
    [
      'exit 1 unless the federation and noldor are healthy; the report as JSON',
      `kubefed check fellowship ${HOST} --clusters=noldor -o json`,
    ],
  ],
  'dns-controller': [
    [
      "keep the federation's DNS records (the control plane runs this; its kubeconfig reaches the federation API)",
      'kubefed dns-controller --kubeconfig=fellowship.kubeconfig --federation-name=fellowship --zone=example.com.',
    ],
  ],
  destroy: [['unjoin every member and delete the control plane', `kubefed destroy fellowship ${HOST}`]],
  version: [
    ['print the version', 'kubefed version'],
    ['the same, as JSON', 'kubefed version -o json'],
  ],
  completion: [
    ['complete kubefed in bash (in ~/.bashrc; for zsh: completion zsh)', 'eval "$(kubefed completion bash)"'],
  ],
};

/** The help text after a command's own: its examples, each under what it does. */
export function examplesHelp(examples: Example[]): string {
  return ['', 'Examples:', ...examples.flatMap(([purpose, line]) => [`  # ${purpose}`, `  $ ${line}`])].join('\n');
}

/**
 * Adds its Examples to every command of `program` that has some (a test wants them for all), and
 * to each subcommand those of its parent's examples that use it (orphaning-deletion enable ...).
 */
export function addExamples(program: Command): void {
  for (const command of program.commands) {
    const examples = EXAMPLES[command.name()];
    if (!examples) continue;
    command.addHelpText('after', examplesHelp(examples));
    for (const sub of command.commands) {
      const own = examples.filter(([, line]) => line.includes(` ${command.name()} ${sub.name()} `));
      if (own.length) sub.addHelpText('after', examplesHelp(own));
    }
  }
}
