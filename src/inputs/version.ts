// The version `kubefed version` prints; a unit test keeps it equal to package.json's.
export const VERSION = '0.1.0';
/** The project's container image (the DNS controller); its tag is `v` + VERSION. */
export const PROJECT_IMAGE = 'ghcr.io/kubefed-action/kubefed-action';
