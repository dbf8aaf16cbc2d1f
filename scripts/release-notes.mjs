// The text of a version's section in CHANGELOG.md, which the release workflow makes the GitHub
// Release's notes: `node scripts/release-notes.mjs 1.2.3 > notes.md`. A version is released
// once its heading carries the date (`## 1.2.3 — 2026-12-01`); until then it reads
// `## 1.2.3 — not yet tagged`, and this script refuses to make notes of it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const HEADING = /^## (\S+)(?:\s+[—-]\s+(.+?))?\s*$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Every version section of the changelog, in order: version, the heading's note, the text. */
export function changelogSections(changelog) {
  const sections = [];
  for (const line of changelog.split('\n')) {
    const heading = HEADING.exec(line);
    if (heading) sections.push({ version: heading[1], note: heading[2] ?? '', lines: [] });
    else sections.at(-1)?.lines.push(line);
  }
  return sections.map(({ version, note, lines }) => ({ version, note, text: lines.join('\n').trim() }));
}

/** The notes of `version`'s section; throws, saying why, when it is missing, empty or undated. */
export function releaseNotes(changelog, version) {
  const section = changelogSections(changelog).find((s) => s.version === version);
  if (!section) throw new Error(`CHANGELOG.md has no section "## ${version} — <date>"`);
  if (section.text === '') throw new Error(`CHANGELOG.md's section ${version} is empty`);
  if (!DATE.test(section.note))
    throw new Error(
      `CHANGELOG.md's section ${version} is not dated ("${section.note}"): ` +
        `its heading must read "## ${version} — YYYY-MM-DD" in the tagged commit`,
    );
  return `${section.text}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const version = process.argv[2];
  if (!version) {
    console.error('usage: node scripts/release-notes.mjs <version> (without the v)');
    process.exit(2);
  }
  try {
    process.stdout.write(releaseNotes(readFileSync('CHANGELOG.md', 'utf8'), version));
  } catch (err) {
    console.error(`release-notes: ${err.message}`);
    process.exit(1);
  }
}
