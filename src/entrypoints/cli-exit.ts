// The CLI's exit codes, which scripts branch on (README, examples/gitlab-ci.yml): 0 done and
// healthy, 1 the federation failed or is unhealthy, 2 a bad command, flag or input (or a Node.js
// too old to run the CLI), nothing changed. A module of its own: the version gate loads no more.
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
