/**
 * The verifier reads the sessions table without importing the server's code:
 * its key and its liveness rule are copies, held equal to the server's here.
 */
import { isLiveSession, sessionKey } from '@serverless-auth/verify';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sessionKey as serverSessionKey } from '../../../functions/core/records/keys.ts';
import { isLive, sessionFromItem } from '../../../functions/core/records/sessions.ts';

const id = fc.string({ minLength: 1, maxLength: 40 });
const time = fc.date({ min: new Date('2026-01-01T00:00:00.000Z'), max: new Date('2027-01-01T00:00:00.000Z'), noInvalidDate: true });

describe('@serverless-auth/verify and the sessions table', () => {
  it('builds the same key as the server for any user and session id', () => {
    fc.assert(
      fc.property(id, id, (userId, sessionId) => {
        expect(sessionKey(userId, sessionId)).toEqual(serverSessionKey(userId, sessionId));
      }),
    );
  });

  it('calls a session live exactly when the server does', () => {
    fc.assert(
      fc.property(fc.boolean(), time, time, (revoked, endsAt, now) => {
        const item = { ...serverSessionKey('u', 's'), revoked, endsAt: endsAt.toISOString() };
        expect(isLiveSession(item, now)).toBe(isLive(sessionFromItem(item), now));
      }),
    );
  });

  it('calls a missing item not live', () => {
    expect(isLiveSession(undefined, new Date())).toBe(false);
  });
});
