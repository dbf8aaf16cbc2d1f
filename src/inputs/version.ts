// The version `kubefed version` prints; a unit test keeps it equal to package.json's.
export const VERSION = '0.1.0';
/** The project's container image (the DNS controller); its tag is `v` + VERSION. */
export const PROJECT_IMAGE = 'ghcr.io/kubefed-action/kubefed-action';
/**
 * The oldest Node.js the bundles run on (package.json's engines; a test holds them equal): the
 * Kubernetes client's undici needs 22.19. The CLI checks it before it loads anything else.
 */
export const MINIMUM_NODE = '22.19';
