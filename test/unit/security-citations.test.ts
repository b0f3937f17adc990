/**
 * SECURITY.md names the tests that prove its claims: every test file it
 * cites exists, and every title it quotes (“describe › it”) is in the file
 * cited before it, each part as the file writes it (“…” stands for words
 * left out). A renamed or removed test then fails here, not in a reader's hands.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const security = readFileSync(new URL('SECURITY.md', root), 'utf8');

/** Each cited test file, with the titles quoted after it up to the next cited file. */
function citations(document: string): { readonly file: string; readonly titles: string[] }[] {
  const cited: { file: string; titles: string[] }[] = [];
  for (const [, file, title] of document.matchAll(/`(test\/[\w./-]+\.test\.ts)`|“([^”]+)”/g)) {
    if (file) cited.push({ file, titles: [] });
    else if (title) cited.at(-1)?.titles.push(title);
  }
  return cited;
}

/** The parts of a quoted title that must appear in its file as written: its levels, without the words left out. */
const partsOf = (title: string): string[] =>
  title
    .replace(/\s+/g, ' ')
    .split(' › ')
    .flatMap((level) => level.split('…'))
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

describe('SECURITY.md citations', () => {
  const cited = citations(security);

  it('cite test files that exist', () => {
    expect(cited.length).toBeGreaterThan(40);
    expect(cited.map(({ file }) => file).filter((file) => !existsSync(new URL(file, root)))).toEqual([]);
  });

  it('quote each test title as the cited file writes it', () => {
    const stale: string[] = [];
    for (const { file, titles } of cited.filter(({ file }) => existsSync(new URL(file, root)))) {
      // A title in single quotes escapes its apostrophes.
      const source = readFileSync(new URL(file, root), 'utf8').replaceAll("\\'", "'");
      for (const title of titles) {
        for (const part of partsOf(title)) if (!source.includes(part)) stale.push(`${file} “${title}”: ${part}`);
      }
    }
    expect(cited.flatMap(({ titles }) => titles).length).toBeGreaterThan(80);
    expect(stale).toEqual([]);
  });
});
