// The committed bundles are ASCII (scripts/build.mjs escapes every other character): V8 holds
// a script's source as long as the script lives, at two bytes a character once one character
// is beyond Latin-1, and dist/index.js is 6 MB. What the escapes stand for still prints as
// written (the job summary's ✅ and ❌ are asserted by health.e2e and diagnosis.e2e).
import { describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';

const bundles = readdirSync('dist').filter((f) => f.endsWith('.js'));

describe('dist/', () => {
  test('holds the bundles action.yml and package.json name', () => {
    expect(bundles).toEqual(expect.arrayContaining(['index.js', 'post.js', 'cli.js', 'cli-main.js']));
  });

  test.each(bundles)('%s is ASCII', (bundle) => {
    const outside = /[^\x00-\x7f]/.exec(readFileSync(`dist/${bundle}`, 'latin1'));
    expect(outside && `${JSON.stringify(outside[0])} at byte ${outside.index}`).toBeNull();
  });
});
