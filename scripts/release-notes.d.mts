// Types of scripts/release-notes.mjs for the TypeScript tests.
export function changelogSections(changelog: string): { version: string; note: string; text: string }[];
export function releaseNotes(changelog: string, version: string): string;
