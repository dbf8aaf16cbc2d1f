// Shell completion treats the kubeconfig's context names as data: a name that reads as shell
// code is never run while completing (bash's `compgen -W` would expand it), in real bash and
// in a real interactive zsh driven through a pseudo-terminal; it is offered quoted, so that the
// completed line passes the name as one word.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as yaml from 'js-yaml';

const home = mkdtempSync(join(tmpdir(), 'kubefed-completion-'));
/** Context names that run `touch pwned*` wherever a shell evaluates them. */
const HOSTILE = ['$(touch${IFS}pwned)', '`touch${IFS}pwned2`', 'x;touch${IFS}pwned3'];
const CONTEXTS = [...HOSTILE, 'rivendell', 'arn:aws:eks:eu-west-1:1:cluster/gondor', 'with space'];

const env = () => ({ PATH: `${join(home, 'bin')}:${process.env.PATH}`, HOME: home, KUBECONFIG: join(home, 'config') });
const pwned = () => readdirSync(home).filter((f) => f.startsWith('pwned'));

beforeAll(() => {
  mkdirSync(join(home, 'bin'));
  writeFileSync(
    join(home, 'bin', 'kubefed'),
    `#!/bin/sh\nexec '${process.execPath}' '${resolve('dist/cli.js')}' "$@"\n`,
    {
      mode: 0o755,
    },
  );
  writeFileSync(
    join(home, 'config'),
    yaml.dump({
      apiVersion: 'v1',
      clusters: [{ name: 'a', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { token: 't0k3n' } }],
      contexts: CONTEXTS.map((name) => ({ name, context: { cluster: 'a', user: 'u' } })),
    }),
  );
});

describe('bash', () => {
  /** The replies to the words so far, the cursor on the last one, with `complete`'s own call. */
  function complete(words: string[]) {
    const script =
      'eval "$(kubefed completion bash)"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _kubefed; ' +
      'printf "%s\\0" "${COMPREPLY[@]}"';
    const run = spawnSync('bash', ['-c', script, 'bash', ...words], { encoding: 'utf8', env: env(), cwd: home });
    expect(run.stderr).toBe('');
    return run.stdout.split('\0').filter((w) => w !== '');
  }

  test('runs no context name, and offers each quoted: the completed line passes it as one word', () => {
    const replies = complete(['kubefed', 'join', 'g', '--host-cluster-context', '']);
    expect(pwned()).toEqual([]);
    expect(replies).toHaveLength(CONTEXTS.length);
    expect(replies).toContain('\\$\\(touch\\$\\{IFS\\}pwned\\)');
    expect(replies).toContain('rivendell');
    // The line the user ends up with, run: each reply is the one word the context is named.
    const echoed = spawnSync('bash', ['-c', `printf '%s\\0' ${replies.join(' ')}`], { encoding: 'utf8', cwd: home });
    expect(echoed.stdout.split('\0').filter((w) => w !== '')).toEqual(CONTEXTS);
    expect(pwned()).toEqual([]);
  });

  test('matches what was typed literally, as the name reads or as it is quoted', () => {
    expect(complete(['kubefed', 'join', 'g', '--host-cluster-context', '$'])).toEqual([
      '\\$\\(touch\\$\\{IFS\\}pwned\\)',
    ]);
    expect(complete(['kubefed', 'join', 'g', '--host-cluster-context', '\\$\\('])).toEqual([
      '\\$\\(touch\\$\\{IFS\\}pwned\\)',
    ]);
    expect(complete(['kubefed', 'join', 'g', '--host-cluster-context', '*'])).toEqual([]);
    expect(complete(['kubefed', 'join', 'g', '--cluster-context', 'ri'])).toEqual(['rivendell']);
    expect(pwned()).toEqual([]);
  });

  test('offers a boolean flag a value only after "=" (after a space the word is an argument)', () => {
    expect(complete(['kubefed', 'join', 'g', '--dry-run', '=', ''])).toEqual(['true', 'false']);
    expect(complete(['kubefed', 'join', '--dry-run', ''])).toEqual([]);
  });
});

describe('zsh', () => {
  // Types `line` and Tab into an interactive zsh with kubefed's completion loaded, then a key
  // that prints the edited line instead of running it.
  const DRIVER = `
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z 'PS1="%% "; autoload -U compinit && compinit -u -D; eval "$(kubefed completion zsh)"'
zpty -w z 'show() { print -r -- "RES""ULT<$BUFFER>END"; BUFFER=""; zle accept-line }; zle -N show; bindkey "^X" show'
zpty -w -n z "$1"$'\\t\\x18'
zpty -r z out '*RESULT<*>END*'
zpty -d z
print -r -- "\${\${out##*RESULT<}%%>END*}"
`;

  function completeLine(line: string): string {
    const run = spawnSync('zsh', ['-f', '-c', DRIVER, 'zsh', line], {
      encoding: 'utf8',
      env: env(),
      cwd: home,
      timeout: 30_000,
    });
    expect(run.error).toBeUndefined(); // zsh is installed (apt-get install zsh) and answered
    expect(run.status).toBe(0);
    return run.stdout.replace(/\n$/, '');
  }

  test('completes contexts without running them, quoted on the line', () => {
    const line = 'kubefed join g --host-cluster-context ';
    expect(completeLine(`${line}\\$`)).toBe(`${line}\\$\\(touch\\$\\{IFS\\}pwned\\) `);
    expect(completeLine(`${line}\\\``)).toBe(`${line}\\\`touch\\$\\{IFS\\}pwned2\\\` `);
    expect(completeLine(`${line}x`)).toBe(`${line}x\\;touch\\$\\{IFS\\}pwned3 `);
    expect(pwned()).toEqual([]);
  });

  test('completes commands, flags, --flag=value and names with a colon', () => {
    expect(completeLine('kubefed fed')).toBe('kubefed federate ');
    expect(completeLine('kubefed join g --clus')).toBe('kubefed join g --cluster-context ');
    expect(completeLine('kubefed join g --dry-run=f')).toBe('kubefed join g --dry-run=false ');
    expect(completeLine('kubefed join g --host-cluster-context=ri')).toBe(
      'kubefed join g --host-cluster-context=rivendell ',
    );
    expect(completeLine('kubefed join g --host-cluster-context arn:aws')).toBe(
      'kubefed join g --host-cluster-context arn:aws:eks:eu-west-1:1:cluster/gondor ',
    );
    expect(existsSync(join(home, 'pwned'))).toBe(false);
  });
});
