/**
 * Who a per-IP limit counts (records/rate-limits.ts `clientSourceOf`): one
 * source per IPv4 address and per IPv6 /64, whatever the spelling, so that a
 * client cannot take a fresh budget by changing the address it sends from
 * within its own network, or the way the address is written.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientSourceOf } from '../../functions/core/records/rate-limits.ts';

const sourceOf = (ip: string | null) => clientSourceOf({ ip, userAgent: null, requestId: null });

const group = fc.integer({ min: 0, max: 0xffff });
const groups = (n: number) => fc.array(group, { minLength: n, maxLength: n });

/** Eight groups written out in full, with leading zeros and upper case, as nobody would but anyone may. */
const longhand = (g: number[]) => g.map((x) => x.toString(16).toUpperCase().padStart(4, '0')).join(':');
/** The canonical short form (RFC 5952), as WHATWG URL writes it. */
const shorthand = (g: number[]) => new URL(`http://[${longhand(g)}]/`).hostname.slice(1, -1);

describe('clientSourceOf', () => {
  it('gives every address of one IPv6 /64, in any spelling, the same source', () => {
    fc.assert(
      fc.property(groups(4), groups(4), groups(4), (network, a, b) => {
        // ::/64 holds the IPv4-mapped addresses, each its own source (below).
        fc.pre(network.some((x) => x !== 0));
        const one = sourceOf(shorthand([...network, ...a]));
        expect(sourceOf(longhand([...network, ...b]))).toBe(one);
        expect(sourceOf(`${shorthand([...network, ...b])}%eth0`)).toBe(one);
      }),
    );
  });

  it('gives addresses of different IPv6 /64s different sources', () => {
    fc.assert(
      fc.property(groups(4), groups(4), groups(4), (network, other, host) => {
        fc.pre(network.join() !== other.join());
        expect(sourceOf(shorthand([...network, ...host]))).not.toBe(sourceOf(shorthand([...other, ...host])));
      }),
    );
  });

  it('keeps an IPv4 address as it is, and reads an IPv4-mapped IPv6 address as that IPv4 address', () => {
    const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.'));
    fc.assert(
      fc.property(ipv4, (ip) => {
        const [a = 0, b = 0, c = 0, d = 0] = ip.split('.').map(Number);
        expect(sourceOf(ip)).toBe(ip);
        expect(sourceOf(`::ffff:${ip}`)).toBe(ip);
        expect(sourceOf(`::FFFF:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`)).toBe(ip);
      }),
    );
  });

  it.each([
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    [null, 'unknown'],
  ])('counts %s as %s', (ip, source) => {
    expect(sourceOf(ip)).toBe(source);
  });
});
