import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasDuplicateTopLevelKeys } from '../../functions/core/crypto/json-keys.ts';

describe('hasDuplicateTopLevelKeys', () => {
  it.each([
    ['{"a":1,"a":2}', true],
    ['{"role":"CUSTOMER","sub":"x","role":"MANAGER"}', true],
    ['{"a":1,"\\u0061":2}', true],
    ['{"a":{"b":1,"b":2},"c":3}', false],
    ['{"a":"\\"a\\"","b":"a"}', false],
    ['{"a":[{"a":1},{"a":2}],"b":{"a":3}}', false],
    ['{"x":"}{,\\"x\\":"}', false],
    ['{}', false],
  ])('%s → %s', (json, expected) => {
    expect(hasDuplicateTopLevelKeys(json)).toBe(expected);
  });

  it('agrees with a count of Object.keys for any JSON object without repeats', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        expect(hasDuplicateTopLevelKeys(JSON.stringify(object))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('finds any repeated key spliced into an object', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.jsonValue(), (object, value) => {
        const [key] = Object.keys(object) as [string];
        const json = `${JSON.stringify(object).slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}}`;
        expect(hasDuplicateTopLevelKeys(json)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
