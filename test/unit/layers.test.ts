/**
 * The layers of functions/core point one way: http → flows → records and
 * crypto → infra (records may use crypto, never the reverse). deps.ts, the
 * composition root, builds them all; below http a layer may import only its
 * type. Every arrow that points back up fails here, naming the file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = resolve(import.meta.dirname, '../../functions/core');
const RANK = { infra: 1, crypto: 2, records: 3, flows: 4, http: 5 } as const;
type Layer = keyof typeof RANK;
/** Plain data that the stack and the handlers share (DESIGN.md): any layer may read it. */
const DATA_FROM_LIB = new Set([resolve(CORE, '../../lib/tables.ts')]);
const LAYERS = Object.keys(RANK) as Layer[];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

const layerOf = (file: string): Layer | 'root' | 'outside' => {
  const path = relative(CORE, file);
  if (path.startsWith('..')) return 'outside';
  const top = path.split('/')[0] as Layer;
  return LAYERS.includes(top) ? top : 'root';
};

/** `import … from './x.ts'`, `export … from`, `import('./x.ts')`, with whether it is type-only. */
function importsOf(file: string): { target: string; typeOnly: boolean }[] {
  const source = readFileSync(file, 'utf8');
  const found: { target: string; typeOnly: boolean }[] = [];
  for (const match of source.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+'(\.[^']+)'/gms)) {
    found.push({ target: resolve(dirname(file), match[3]!), typeOnly: Boolean(match[2]) });
  }
  for (const match of source.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g))
    found.push({ target: resolve(dirname(file), match[1]!), typeOnly: false });
  return found;
}

/** Why an import breaks the layering, or null when it is allowed. */
function violation(from: Layer | 'root', to: Layer | 'root' | 'outside', typeOnly: boolean, target = ''): string | null {
  if (from === 'root') return null;
  if (to === 'root') return from === 'http' || typeOnly ? null : 'imports the composition root at run time';
  if (to === 'outside') return from === 'http' || DATA_FROM_LIB.has(target) ? null : 'reaches outside functions/core';
  if (to === from) return null;
  return RANK[to] < RANK[from] ? null : `points up from ${from} to ${to}`;
}

const arrows = filesUnder(CORE).flatMap((file) =>
  importsOf(file).map(({ target, typeOnly }) => ({
    from: relative(CORE, file),
    to: relative(CORE, target),
    why: violation(layerOf(file) as Layer | 'root', layerOf(target), typeOnly, target),
  })),
);

describe('the layers of functions/core', () => {
  it('has every file in a layer folder, but the composition root', () => {
    const loose = filesUnder(CORE)
      .filter((file) => layerOf(file) === 'root')
      .map((file) => relative(CORE, file));
    expect(loose).toEqual(['deps.ts']);
  });

  it('has no import that points back up a layer', () => {
    expect(arrows.filter((arrow) => arrow.why).map((arrow) => `${arrow.from} → ${arrow.to}: ${arrow.why}`)).toEqual([]);
  });

  it('sees the imports it judges (a check that finds none proves nothing)', () => {
    expect(arrows.length).toBeGreaterThan(100);
    expect(violation('records', 'flows', false)).toMatch(/points up/);
    expect(violation('infra', 'crypto', true)).toMatch(/points up/);
    expect(violation('flows', 'root', false)).toMatch(/composition root/);
  });
});

describe('file size in functions/', () => {
  const FUNCTIONS = resolve(CORE, '..');
  const MAX_LINES = 250;

  it(`keeps every code file at ${MAX_LINES} lines or fewer (lists of data under data/ aside)`, () => {
    const long = filesUnder(FUNCTIONS)
      .filter((file) => !relative(FUNCTIONS, file).split('/').includes('data'))
      .map((file) => ({ file: relative(FUNCTIONS, file), lines: readFileSync(file, 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > MAX_LINES);
    expect(long).toEqual([]);
  });
});
