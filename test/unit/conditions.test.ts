import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { and, atMost, has, is, isNew, lacks, or } from '../../functions/core/infra/conditions.ts';

describe('named condition parts', () => {
  it('compose into one expression with every name and value they use', () => {
    const condition = and(isNew, or(lacks('lockedUntil'), atMost('lockedUntil', 1700)), is('role', 'AGENT'));

    expect(condition).toEqual({
      expression:
        '(attribute_not_exists(#pk)) AND ((attribute_not_exists(#lockedUntil)) OR (#lockedUntil <= :lockedUntil_le)) AND (#role = :role_eq)',
      names: { '#pk': 'pk', '#lockedUntil': 'lockedUntil', '#role': 'role' },
      values: { ':lockedUntil_le': 1700, ':role_eq': 'AGENT' },
    });
  });

  it('refuse one placeholder bound to two values, which would silently test only one of them', () => {
    expect(() => and(is('userId', 'a'), is('userId', 'b'))).toThrow(/bound twice/);
    expect(and(has('codeHash'), has('codeHash')).names).toEqual({ '#codeHash': 'codeHash' });
  });
});

describe('conditional writes', () => {
  const FUNCTIONS = resolve(import.meta.dirname, '../../functions');
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );

  it('build every ConditionExpression from the named parts, nowhere inline', () => {
    const inline = files(FUNCTIONS)
      .filter((file) => !file.endsWith('infra/conditions.ts'))
      .filter((file) => /[^y]ConditionExpression\s*:/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(FUNCTIONS, file));

    expect(files(FUNCTIONS).length).toBeGreaterThan(50);
    expect(inline).toEqual([]);
  });
});
