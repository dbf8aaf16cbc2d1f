// No text a cluster sends can become a workflow command: every line the core logs is
// neutralized in one place (safeLog), for the action and the CLI alike.
import { describe, expect, test } from '@jest/globals';
import { heldLog, memoryLog, neutralizeCommands, safeLog } from '../src/report/log.js';

const hostile =
  'cluster is not reachable: 403\n::add-mask::x\n  ::save-state name=kubeconfig::/home\n::warning::fake ##[set-output name=a]b';

describe('safeLog', () => {
  test('no line can start a workflow command or hold a v1 command', () => {
    const lines = neutralizeCommands(hostile).split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(line.trimStart().startsWith('::')).toBe(false);
      expect(line).not.toContain('##[');
    }
    // Still readable: only a zero-width space is added.
    expect(neutralizeCommands(hostile).replaceAll('\u200b', '')).toBe(hostile);
  });

  test('info, warning and group titles are all neutralized', () => {
    const inner = memoryLog();
    const log = safeLog(inner);
    log.info(hostile);
    log.warning(hostile);
    log.group(`::endgroup::${hostile}`);
    for (const line of inner.lines.join('\n').split('\n'))
      expect(/^\s*::/.test(line.replace(/^(warning: |# )/, ''))).toBe(false);
  });

  test('text without commands is left as it is', () => {
    expect(neutralizeCommands('apply KubeFedCluster federation-system/gondor: HTTP 500: a::b')).toBe(
      'apply KubeFedCluster federation-system/gondor: HTTP 500: a::b',
    );
  });
});

describe('heldLog', () => {
  test('holds every line until released, then writes them in order and passes later ones straight through', () => {
    const out = memoryLog();
    const held = heldLog(out);
    held.log.info('one');
    const end = held.log.group('section');
    held.log.warning('two');
    end();
    expect(out.lines).toEqual([]);
    out.info('written meanwhile');
    held.release();
    expect(out.lines).toEqual(['written meanwhile', 'one', '# section', 'warning: two']);
    held.log.info('three');
    expect(out.lines.at(-1)).toBe('three');
    held.release();
    expect(out.lines).toHaveLength(5);
  });
});
