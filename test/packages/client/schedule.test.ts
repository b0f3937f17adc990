/** The client's schedule, on its own: use the access token, refresh it, or end the session. */
import { describe, expect, it } from 'vitest';
import { plan } from '@serverless-auth/client';

const at = (iso: string) => Date.parse(iso);

/** A session opened at 10:00 UTC: a 900 s access token, midnight at 24:00. */
const session = { expires_in: 900, expires_at: '2026-11-23T10:15:00.000Z', refresh_expires_at: '2026-11-24T00:00:00.000Z' };

describe('plan', () => {
  it.each([
    ['well before the buffer', '2026-11-23T10:00:00.000Z', 'use'],
    ['a millisecond before the buffer', '2026-11-23T10:09:59.999Z', 'use'],
    ['at the start of the buffer', '2026-11-23T10:10:00.000Z', 'refresh'],
    ['at the expiry', '2026-11-23T10:15:00.000Z', 'refresh'],
    ['after the expiry', '2026-11-23T12:00:00.000Z', 'refresh'],
    ['a millisecond before midnight', '2026-11-23T23:59:59.999Z', 'refresh'],
    ['at midnight', '2026-11-24T00:00:00.000Z', 'ended'],
    ['after midnight', '2026-11-25T09:00:00.000Z', 'ended'],
  ])('answers %s with %s (300 s buffer)', (_, now, expected) => {
    expect(plan(session, at(now), 300)).toBe(expected);
  });

  it('keeps a token that already runs to midnight until midnight, since a new one could not outlive it', () => {
    // Prepare
    const capped = { expires_in: 480, expires_at: '2026-11-24T00:00:00.000Z', refresh_expires_at: '2026-11-24T00:00:00.000Z' };

    // Act
    const plans = ['2026-11-23T23:52:00.000Z', '2026-11-23T23:58:00.000Z', '2026-11-23T23:59:59.999Z', '2026-11-24T00:00:00.000Z'].map(
      (now) => plan(capped, at(now), 300),
    );

    // Assess
    expect(plans).toEqual(['use', 'use', 'use', 'ended']);
  });

  it('refreshes a token that ends shortly before midnight, to get the few minutes up to it', () => {
    const nearly = { expires_in: 900, expires_at: '2026-11-23T23:55:00.000Z', refresh_expires_at: '2026-11-24T00:00:00.000Z' };
    expect(plan(nearly, at('2026-11-23T23:50:00.000Z'), 300)).toBe('refresh');
  });

  it('uses at most half the lifetime of a short-lived token as the buffer', () => {
    // Prepare: a 60 s token, a 300 s buffer.
    const short = { expires_in: 60, expires_at: '2026-11-23T10:01:00.000Z', refresh_expires_at: '2026-11-24T00:00:00.000Z' };

    // Act
    const before = plan(short, at('2026-11-23T10:00:29.999Z'), 300);
    const from = plan(short, at('2026-11-23T10:00:30.000Z'), 300);

    // Assess
    expect([before, from]).toEqual(['use', 'refresh']);
  });

  it('takes a buffer of 0 to mean at the expiry', () => {
    expect([plan(session, at('2026-11-23T10:14:59.999Z'), 0), plan(session, at('2026-11-23T10:15:00.000Z'), 0)]).toEqual([
      'use',
      'refresh',
    ]);
  });

  it('treats an unreadable midnight as the end of the session', () => {
    expect(plan({ ...session, refresh_expires_at: 'not a date' }, at('2026-11-23T10:00:00.000Z'), 300)).toBe('ended');
  });
});
