/**
 * Fixed-window counters shared by every Lambda instance: one atomic `ADD` on
 * the lockouts table per attempt. Refused attempts count too.
 */
import { isIP } from 'node:net';
import { epochSeconds } from '../infra/clock.ts';
import { windowCounterKey } from './keys.ts';
import type { AuditOrigin } from './audit.ts';
import type { Deps } from '../deps.ts';

export interface WindowLimit {
  /** What is counted, such as `login` or `password`. */
  readonly kind: string;
  /** Who is counted: a source IP, a normalized email. */
  readonly source: string;
  readonly limit: number;
  readonly windowSeconds: number;
}

export type WindowResult = { readonly allowed: true } | { readonly allowed: false; readonly retryAfter: number };

/** Counts one attempt and says whether it is within the limit. */
export async function hitWindow(d: Deps, window: WindowLimit): Promise<WindowResult> {
  const now = epochSeconds(d.clock.now());
  const start = now - (now % window.windowSeconds);
  const end = start + window.windowSeconds;
  const out = await d.db.update({
    TableName: d.tables.lockouts,
    Key: windowCounterKey(window.kind, window.source, start),
    UpdateExpression: 'ADD attempts :one SET expiresAt = :expires',
    ExpressionAttributeValues: { ':one': 1, ':expires': end + 60 },
    ReturnValues: 'UPDATED_NEW',
  });
  const attempts = Number(out.Attributes?.attempts ?? 0);
  return attempts <= window.limit ? { allowed: true } : { allowed: false, retryAfter: Math.max(1, end - now) };
}

/**
 * Who a per-IP limit counts. An IPv6 client holds a whole /64 at least, and
 * could send every try from a fresh address of it, so IPv6 counts by its
 * /64; an IPv4 address written as IPv6 (`::ffff:198.51.100.7`) is that IPv4
 * address. Any spelling of one address gives one source.
 */
export function clientSourceOf(origin: AuditOrigin): string {
  const ip = origin.ip;
  if (!ip || isIP(ip) !== 6) return ip ?? 'unknown';
  const groups = ipv6Groups(ip);
  const [high = 0, low = 0] = groups.slice(6);
  if (groups.slice(0, 6).join(':') === '0:0:0:0:0:65535') return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  const network = groups.slice(0, 4).map((group) => group.toString(16));
  return `${network.join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address: zone dropped, `::` filled, a dotted IPv4 tail as two groups. */
function ipv6Groups(ip: string): number[] {
  const address = ip.split('%')[0] as string;
  const pair = (high?: string, low?: string) => ((Number(high) << 8) | Number(low)).toString(16);
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const hex = dotted ? `${address.slice(0, dotted.index)}${pair(dotted[1], dotted[2])}:${pair(dotted[3], dotted[4])}` : address;
  const [head, tail] = hex.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((group) => Number.parseInt(group, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * Password guesses from one source IP, on every route that checks a
 * password (login, password change): `LOGIN_RATE_LIMIT` a minute.
 */
export const passwordGuessWindow = (d: Deps, origin: AuditOrigin): Promise<WindowResult> =>
  hitWindow(d, { kind: 'login', source: clientSourceOf(origin), limit: d.settings.loginRateLimit, windowSeconds: 60 });
