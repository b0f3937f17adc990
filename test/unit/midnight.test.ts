import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nextMidnight } from '../../functions/core/infra/midnight.ts';

const local = (instant: Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'short', timeStyle: 'medium' }).format(instant);

describe('nextMidnight', () => {
  it('is the next 00:00 UTC in UTC', () => {
    expect(nextMidnight(new Date('2026-11-23T21:45:00.000Z'), 'UTC').toISOString()).toBe('2026-11-24T00:00:00.000Z');
  });

  it('is a full day later when it is exactly midnight now', () => {
    expect(nextMidnight(new Date('2026-11-24T00:00:00.000Z'), 'UTC').toISOString()).toBe('2026-11-25T00:00:00.000Z');
  });

  it('follows the spring-forward day in New York (a 23-hour day)', () => {
    // 2026-03-08: clocks go from 02:00 EST to 03:00 EDT; the next midnight is in EDT (UTC-4).
    expect(nextMidnight(new Date('2026-03-08T06:00:00.000Z'), 'America/New_York').toISOString()).toBe('2026-03-09T04:00:00.000Z');
  });

  it('follows the fall-back day in New York (a 25-hour day)', () => {
    expect(nextMidnight(new Date('2026-11-01T04:30:00.000Z'), 'America/New_York').toISOString()).toBe('2026-11-02T05:00:00.000Z');
  });

  it('handles a zone east of UTC+12 (Kiritimati, UTC+14)', () => {
    // 12:00Z is 02:00 on the 24th in Kiritimati; its next midnight is 00:00 on the 25th = 10:00Z on the 24th.
    const midnight = nextMidnight(new Date('2026-11-23T12:00:00.000Z'), 'Pacific/Kiritimati');
    expect(midnight.toISOString()).toBe('2026-11-24T10:00:00.000Z');
    expect(local(midnight, 'Pacific/Kiritimati')).toBe('25/11/2026, 00:00:00');
  });

  it('starts the day at 01:00 where DST skips midnight (Santiago)', () => {
    // 2026-09-06: Chile's clocks jump from 00:00 to 01:00; the first instant of the day is 01:00 -03.
    const midnight = nextMidnight(new Date('2026-09-05T15:00:00.000Z'), 'America/Santiago');
    expect(midnight.toISOString()).toBe('2026-09-06T04:00:00.000Z');
    expect(local(midnight, 'America/Santiago')).toBe('06/09/2026, 01:00:00');
  });

  it('is always after now, within 26 hours, and at the start of a local day', () => {
    const zones = [
      'UTC',
      'America/New_York',
      'Europe/Paris',
      'Asia/Kolkata',
      'Asia/Kathmandu',
      'Pacific/Kiritimati',
      'Pacific/Pago_Pago',
      'America/Santiago',
      'Australia/Lord_Howe',
    ];
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom(...zones),
        (now, zone) => {
          const midnight = nextMidnight(now, zone);
          expect(midnight.getTime()).toBeGreaterThan(now.getTime());
          expect(midnight.getTime() - now.getTime()).toBeLessThanOrEqual(26 * 3600 * 1000);
          // One second before, the local date is the previous one.
          expect(local(new Date(midnight.getTime() - 1000), zone).slice(0, 10)).not.toBe(local(midnight, zone).slice(0, 10));
        },
      ),
      { numRuns: 300 },
    );
  });
});
