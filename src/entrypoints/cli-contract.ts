// What the CLI promises the scripts that run it (README, examples/gitlab-ci.yml), with nothing
// imported, so that the Node.js version gate keeps it too: exit 0 done and healthy, 1 the
// federation failed or is unhealthy, 2 a bad command, flag or input (or a Node.js too old to
// run the CLI) and nothing changed; and under -o json, one JSON document on stdout, whatever
// happened.
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Whether the raw arguments ask for JSON output (-o json, --output=json, ...), even unparsed. */
export function wantsJson(args: string[]): boolean {
  const end = args.indexOf('--');
  const options = end < 0 ? args : args.slice(0, end);
  return options.some(
    (arg, i) =>
      arg === '-ojson' ||
      arg === '--output=json' ||
      ((arg === '-o' || arg === '--output') && options[i + 1] === 'json'),
  );
}

/** The JSON document of a command that stopped before it had a result (a usage error, say). */
export const errorReport = (message: string, exitCode: number) => ({
  failed: true,
  'exit-code': exitCode,
  message,
  errors: [message],
});
