// The main job on this machine, as a newcomer watches it: starts a local host cluster and two
// members with testenv, then runs the built action on them as a GitHub runner would (INPUT_*
// variables, output and summary files: scripts/runner.mjs), showing its log as it comes, as a
// terminal log, then its job summary and outputs. It runs twice: the first run converges (init,
// and join of both members with the guide's naming overrides), the second must change nothing
// (the demo fails otherwise). Then it federates the walk-through's objects
// (examples/federated-deployment.yaml: CoreDNS from its published image) through the federation
// API and waits until the real KubeFed controller manager the action deployed has put them in
// both members and their Pods are available, and federates a Service whose name resolves,
// through external-dns and CoreDNS, to both members' load-balancer addresses, each answered by
// that member's own Pods. When anything fails it stops the clusters.
import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import * as yaml from 'js-yaml';
import { Resolver } from 'node:dns/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { styleText } from 'node:util';
import { down, up } from '../testenv/index.mjs';
import { startStep } from './runner.mjs';
import { markdownForTerminal, workflowLogReader } from './terminal-log.mjs';

const work = mkdtempSync(join(tmpdir(), 'kubefed-demo-'));
const state = join(work, 'testenv');
const stopCommand = `npm run testenv -- down --state ${state}`;
const MEMBERS = [
  { name: 'gondor', context: 'gondor_needs-no_king' },
  { name: 'noldor', context: 'noldor' },
];
/** A failure the demo explains itself; any other error shows its stack, to find where it came from. */
class DemoFailure extends Error {}
const heading = (title) => console.log(`\n${styleText('bold', `━━ ${title}`, { stream: process.stdout })}`);

/** Runs the action once, its log shown as it comes; returns its outputs once it has ended. */
async function runAction(inputs) {
  const read = { stdout: workflowLogReader(), stderr: workflowLogReader() };
  const step = startStep(inputs, 'dist/index.js', {
    onLine: (line, stream) => {
      for (const shown of read[stream](line)) (stream === 'stdout' ? console.log : console.error)(shown);
    },
  });
  const { status, signal, outputs } = await step.done;
  heading('job summary');
  console.log(markdownForTerminal(step.summary()));
  heading('outputs');
  const width = Math.max(...Object.keys(outputs).map((name) => name.length));
  for (const [name, value] of Object.entries(outputs))
    console.log(`${name.padEnd(width)}  ${name === 'plan' ? planShown(value) : value}`);
  if (status !== 0) throw new DemoFailure(`the action failed (${signal ? `signal ${signal}` : `exit ${status}`})`);
  return outputs;
}

/** The plan output in a line or four: how many changes, and the first few. */
function planShown(json) {
  const changes = JSON.parse(json);
  const named = (c) => `${c.action} ${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name} on ${c.cluster}`;
  const more = changes.length > 3 ? [`… and ${changes.length - 3} more (the job summary lists them all)`] : [];
  return [`${changes.length} change(s)`, ...changes.slice(0, 3).map(named), ...more].join('\n    ');
}

function clients(path, context) {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  if (context) kc.setCurrentContext(context);
  return {
    objects: KubernetesObjectApi.makeApiClient(kc),
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
  };
}

const apply = (api, object) =>
  api.patch(object, undefined, undefined, 'kubefed-demo', true, 'application/apply-patch+yaml');

/** Why a Pod is not ready yet, as kubectl describe would say it. */
function whyNotReady(pod) {
  const container = pod.status?.containerStatuses?.[0];
  const waiting = container?.state?.waiting;
  if (waiting) return `waiting: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`;
  const unmet = (pod.status?.conditions ?? []).find((condition) => condition.status === 'False');
  if (unmet) return `${unmet.type}: ${unmet.reason ?? 'False'}${unmet.message ? ` (${unmet.message})` : ''}`;
  return container ? (container.ready ? 'ready' : 'running, not ready') : 'no container status from the node yet';
}

/** The member's hobbits Pods and why each is not ready. */
async function podStates(core) {
  const pods = await core.listNamespacedPod({ namespace: 'shire', labelSelector: 'app=hobbits' });
  if (pods.items.length === 0) return 'no Pod yet';
  return pods.items.map((pod) => `${pod.metadata.name} ${pod.status?.phase}, ${whyNotReady(pod)}`).join('; ');
}

/** Waits until the member's Deployment shire/hobbits has all its replicas available. */
async function waitAvailable(member, { apps, core }, timeoutMs = 180_000) {
  const started = Date.now();
  for (let lastReport = 0; ; await sleep(1000)) {
    const found = await apps.readNamespacedDeployment({ name: 'hobbits', namespace: 'shire' }).catch(() => undefined);
    const wanted = found?.spec?.replicas ?? 0;
    const available = found?.status?.availableReplicas ?? 0;
    if (found && found.status?.observedGeneration === found.metadata.generation && available === wanted) {
      const managed = found.metadata.labels?.['kubefed.io/managed'] === 'true';
      console.log(
        `${member}: Deployment shire/hobbits ${available}/${wanted} available (managed by KubeFed: ${managed})`,
      );
      return;
    }
    const waited = Date.now() - started;
    if (waited > timeoutMs || waited - lastReport >= 10_000) {
      const states = found ? `${available}/${wanted} available; ${await podStates(core)}` : 'not there yet';
      if (waited > timeoutMs)
        throw new DemoFailure(`${member}: Deployment shire/hobbits not available in 180 s: ${states}`);
      console.log(`${member}: waiting for Deployment shire/hobbits (${Math.round(waited / 1000)} s): ${states}`);
      lastReport = waited;
    }
  }
}

/** Polls `attempt` every second until it returns a value, for up to `seconds`. */
async function until(what, seconds, attempt) {
  let last;
  for (let waited = 0; waited <= seconds; waited++, await sleep(1000)) {
    last = await attempt().catch((err) => ({ error: err.code ?? err.message }));
    if (last && !last.error) return last;
  }
  throw new DemoFailure(`${what} in ${seconds} s (last: ${last?.error ?? 'no answer'})`);
}

async function demo() {
  heading('starting a host cluster (rivendell) and two members (gondor, noldor) with testenv');
  console.log(`If the demo is stopped halfway, stop the clusters with: ${stopCommand}`);
  const info = up({ clusters: 'rivendell,gondor=gondor_needs-no_king,noldor', state });
  const inputs = {
    kubeconfig: readFileSync(info.kubeconfig, 'utf8'),
    'federation-name': 'fellowship',
    'host-cluster-context': 'rivendell',
    'dns-provider': 'coredns',
    'dns-zone-name': 'example.com.',
    // The coredns provider: testenv's etcd, served by the CoreDNS testenv runs for the zone.
    'dns-provider-config': `[Global]\netcd-endpoints = ${info.etcd}\nzones = example.com.\ncoredns-endpoints = ${info.dns}\n`,
    clusters: '- name: gondor\n  context: gondor_needs-no_king\n- name: noldor\n  secret-name: 11kingdom\n',
    prune: 'true',
  };

  heading('first run: deploys the federation control plane and joins both members');
  const first = await runAction(inputs);
  heading('second run, the same inputs: must change nothing');
  const second = await runAction(inputs);
  if (second.changed !== 'false') throw new DemoFailure(`the second run changed something (changed=${second.changed})`);
  console.log('changed=false: the second run sent no write.');

  heading('federating examples/federated-deployment.yaml through the federation API');
  const federation = clients(first.kubeconfig).objects;
  for (const object of yaml.loadAll(readFileSync('examples/federated-deployment.yaml', 'utf8'))) {
    await apply(federation, object);
    const { kind, metadata } = object;
    console.log(`applied ${kind} ${metadata.namespace ? `${metadata.namespace}/` : ''}${metadata.name}`);
  }
  const members = MEMBERS.map((m) => ({ ...m, api: clients(info.kubeconfig, m.context) }));
  for (const { name, api } of members) await waitAvailable(name, api);

  heading('a federated Service, resolved through external-dns and CoreDNS, answered by each member');
  const service = {
    apiVersion: 'types.kubefed.io/v1beta1',
    kind: 'FederatedService',
    metadata: { name: 'hobbits', namespace: 'shire' },
    spec: {
      template: {
        spec: {
          type: 'LoadBalancer',
          selector: { app: 'hobbits' },
          ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' }],
        },
      },
      placement: { clusters: MEMBERS.map(({ name }) => ({ name })) },
    },
  };
  await apply(federation, service);
  const resolver = new Resolver({ timeout: 1500, tries: 1 });
  resolver.setServers([info.dns]);
  const name = 'hobbits.shire.fellowship.svc.example.com';
  const addresses = await until(`${name} did not resolve to both members`, 90, async () => {
    const answer = await resolver.resolve4(name);
    return answer.length === 2 ? answer.sort() : { error: `${answer.length} address(es)` };
  });
  console.log(`${name} → ${addresses.join(', ')} (CoreDNS at ${info.dns})`);
  for (const { name: member, api } of members) {
    const lb = await api.core.readNamespacedService({ name: 'hobbits', namespace: 'shire' });
    const address = lb.status?.loadBalancer?.ingress?.[0]?.ip;
    if (!address || !addresses.includes(address))
      throw new DemoFailure(`${member}'s Service address ${address} not in the answer`);
    const pods = new Resolver({ timeout: 1500, tries: 1 });
    pods.setServers([address]);
    const [[pod]] = await until(`${member}'s Pods did not answer at ${address}`, 30, () =>
      pods.resolveTxt('hobbits.shire'),
    );
    console.log(`${member}: ${address} port 53 answered by Pod ${pod}`);
  }

  heading('done');
  console.log(`The clusters keep running (kubeconfig: ${info.kubeconfig}; federation: ${first.kubeconfig}).`);
  console.log(`Stop them with: ${stopCommand}`);
}

/** Stops the clusters after a failure or an interrupt, or says how to. */
function stopClusters() {
  console.error(`Stopping the clusters (${stopCommand})`);
  try {
    down({ state });
  } catch (err) {
    console.error(`${err.message}: stop them with ${stopCommand}`);
  }
}

process.once('SIGINT', () => {
  stopClusters();
  process.exit(130);
});
try {
  await demo();
} catch (err) {
  const why = err instanceof DemoFailure ? err.message : err.stack;
  console.error(`\n${styleText('red', 'The demo failed:', { stream: process.stderr })} ${why}`);
  stopClusters();
  process.exitCode = 1;
}
