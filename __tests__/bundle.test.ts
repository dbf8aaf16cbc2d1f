// What scripts/build.mjs makes of the bundles: the official client's generated API classes the
// action does not call are left out (ncc's own minifier only renames, and kept all of them),
// and the source is one byte a character to V8 (Latin-1: the code is escaped to ASCII, a
// licence comment may keep a name's accent), since V8 holds a script's source as long as it
// runs. What the escapes stand for still prints as written: the job summary's ✅ and ❌ are
// asserted by health.e2e and diagnosis.e2e.
import { describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';

const bundles = readdirSync('dist').filter((f) => f.endsWith('.js'));
const source = (bundle: string) => readFileSync(`dist/${bundle}`, 'utf8');

describe('dist/', () => {
  test('holds the bundles action.yml and package.json name', () => {
    expect(bundles).toEqual(expect.arrayContaining(['index.js', 'post.js', 'cli.js', 'cli-main.js']));
  });

  test.each(bundles)('%s is one byte a character to V8 (Latin-1)', (bundle) => {
    const code = source(bundle);
    const at = [...code].findIndex((c) => c.codePointAt(0)! > 0xff);
    expect(at < 0 ? null : `${JSON.stringify(code.slice(at - 40, at + 10))}`).toBeNull();
  });

  test.each(['index.js', 'cli-main.js'])('%s holds the client API groups it calls, and no other', (bundle) => {
    const code = source(bundle);
    // CoreV1Api is called (Secrets, ConfigMaps, ...); the apps group's API never is (the
    // action's Deployments go through the generic KubernetesObjectApi).
    expect(code).toContain('CoreV1ApiRequestFactory');
    expect(code).not.toContain('AppsV1ApiRequestFactory');
  });
});
