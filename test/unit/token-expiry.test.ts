import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addCalendarMonths, expiryChoices, expiryOf, type ExpiryChoice } from '../../functions/core/crypto/token-expiry.ts';

const monthsOf: Record<Exclude<ExpiryChoice, '24h'>, number> = { '1mo': 1, '3mo': 3, '6mo': 6, '1y': 12 };

const msOfDay = (d: Date): number => d.getTime() - Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
const monthIndex = (d: Date): number => d.getUTCFullYear() * 12 + d.getUTCMonth();

describe('expiryOf', () => {
  it('offers exactly the choices of API.md', () => {
    expect([...expiryChoices]).toEqual(['24h', '1mo', '3mo', '6mo', '1y']);
  });

  it.each<[ExpiryChoice, string, string]>([
    ['24h', '2026-11-23T10:20:30.456Z', '2026-11-24T10:20:30.456Z'],
    ['24h', '2026-12-31T23:59:59.999Z', '2027-01-01T23:59:59.999Z'],
    ['24h', '2028-02-28T08:00:00.000Z', '2028-02-29T08:00:00.000Z'],
    ['1mo', '2026-11-23T10:20:30.456Z', '2026-12-23T10:20:30.456Z'],
    ['1mo', '2026-12-31T00:00:00.000Z', '2027-01-31T00:00:00.000Z'],
    ['1mo', '2026-01-31T10:20:30.456Z', '2026-02-28T10:20:30.456Z'],
    ['1mo', '2028-01-31T10:20:30.456Z', '2028-02-29T10:20:30.456Z'],
    ['1mo', '2026-03-31T12:00:00.000Z', '2026-04-30T12:00:00.000Z'],
    ['3mo', '2026-03-31T23:59:59.999Z', '2026-06-30T23:59:59.999Z'],
    ['3mo', '2026-11-30T06:00:00.000Z', '2027-02-28T06:00:00.000Z'],
    ['3mo', '2026-01-15T06:00:00.000Z', '2026-04-15T06:00:00.000Z'],
    ['6mo', '2026-08-31T00:00:00.000Z', '2027-02-28T00:00:00.000Z'],
    ['6mo', '2027-08-31T17:45:00.123Z', '2028-02-29T17:45:00.123Z'],
    ['6mo', '2026-12-31T01:02:03.004Z', '2027-06-30T01:02:03.004Z'],
    ['1y', '2028-02-29T12:00:00.000Z', '2029-02-28T12:00:00.000Z'],
    ['1y', '2026-11-23T10:20:30.456Z', '2027-11-23T10:20:30.456Z'],
    ['1y', '2027-02-28T12:00:00.000Z', '2028-02-28T12:00:00.000Z'],
  ])('gives %s from %s as %s', (choice, from, expected) => {
    // Prepare
    const start = new Date(from);

    // Act
    const expiry = expiryOf(choice, start);

    // Assess
    expect(expiry.toISOString()).toBe(expected);
    expect(start.toISOString()).toBe(from);
  });

  it('is later than the start, at the same UTC time of day, on a day no later in the month', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1971-01-01T00:00:00.000Z'), max: new Date('2200-12-31T23:59:59.999Z'), noInvalidDate: true }),
        fc.constantFrom(...expiryChoices),
        (start, choice) => {
          const expiry = expiryOf(choice, start);
          expect(expiry.getTime()).toBeGreaterThan(start.getTime());
          expect(msOfDay(expiry)).toBe(msOfDay(start));
          if (choice === '24h') {
            expect(expiry.getTime() - start.getTime()).toBe(86_400_000);
            return;
          }
          expect(expiry.getUTCDate()).toBeLessThanOrEqual(start.getUTCDate());
          expect(monthIndex(expiry) - monthIndex(start)).toBe(monthsOf[choice]);
          // Clamped only when the month is too short: otherwise the very same day.
          const lastDay = new Date(Date.UTC(expiry.getUTCFullYear(), expiry.getUTCMonth() + 1, 0)).getUTCDate();
          expect(expiry.getUTCDate()).toBe(Math.min(start.getUTCDate(), lastDay));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('addCalendarMonths', () => {
  it('clamps every month end of a leap year and a common year', () => {
    const ends = (year: number) =>
      Array.from({ length: 12 }, (_, month) =>
        addCalendarMonths(new Date(Date.UTC(year, 0, 31, 9, 30)), month)
          .toISOString()
          .slice(0, 10),
      );
    expect(ends(2028)).toEqual([
      '2028-01-31',
      '2028-02-29',
      '2028-03-31',
      '2028-04-30',
      '2028-05-31',
      '2028-06-30',
      '2028-07-31',
      '2028-08-31',
      '2028-09-30',
      '2028-10-31',
      '2028-11-30',
      '2028-12-31',
    ]);
    expect(ends(2100).slice(0, 3)).toEqual(['2100-01-31', '2100-02-28', '2100-03-31']);
  });
});
