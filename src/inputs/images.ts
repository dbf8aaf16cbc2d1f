// The images whose default depends on something else: the DNS controller's (the image of the
// action that is running) and kube-controller-manager's (the API server image's release).
import { PROJECT_IMAGE, VERSION } from './version.js';

/** The action this step runs, as the runner names it (GITHUB_ACTION_REPOSITORY, GITHUB_ACTION_REF). */
export interface RunningAction {
  repository?: string;
  ref?: string;
}

/** The release's own image: what the CLI, a local action, or a run without the runner's names gets. */
export const RELEASE_IMAGE = `${PROJECT_IMAGE}:v${VERSION}`;

/** A tag as the distribution spec allows it. */
const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * The default `dns-controller-image`: the image the release workflow publishes for the action
 * that is running, ghcr.io/<its repository, lower-cased as ghcr requires>:<its ref>; the
 * release's own image when the runner names no repository (the CLI, `uses: ./`).
 */
export function defaultDnsControllerImage(action: RunningAction | undefined, problems: string[]): string {
  const repository = action?.repository?.trim();
  if (!repository) return RELEASE_IMAGE;
  const ref = action?.ref?.trim() ?? '';
  if (!TAG.test(ref)) {
    problems.push(
      `dns-controller-image: the action runs at ref "${ref}" of ${repository}, which is no image tag, ` +
        'so its image cannot be named; set dns-controller-image (e.g. to ' +
        `ghcr.io/${repository.toLowerCase()}:<a released tag>)`,
    );
    return RELEASE_IMAGE;
  }
  return `ghcr.io/${repository.toLowerCase()}:${ref}`;
}

/**
 * The default `kube-controller-manager-image`: the API server image's registry path and tag
 * with the name replaced (registry.k8s.io/kube-apiserver:v1.34.4 →
 * registry.k8s.io/kube-controller-manager:v1.34.4). A digest is the API server image's own and
 * is dropped (image:tag@digest gives the tag's); an image pinned only by digest names no
 * release, which is an input error asking for kube-controller-manager-image.
 */
export function defaultKubeControllerManagerImage(apiServerImage: string, problems: string[]): string {
  const [named, digest] = apiServerImage.split('@');
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const tag = colon > slash ? named.slice(colon + 1) : undefined;
  const path = named.slice(0, slash + 1);
  if (digest !== undefined && tag === undefined) {
    problems.push(
      `kube-controller-manager-image: image "${apiServerImage}" is pinned by digest only, which names ` +
        "no release to take kube-controller-manager's image from; set kube-controller-manager-image " +
        '(e.g. registry.k8s.io/kube-controller-manager:<the same version>)',
    );
    return '';
  }
  return `${path}kube-controller-manager${tag === undefined ? '' : `:${tag}`}`;
}
