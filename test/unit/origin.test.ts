import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Deps } from '../../functions/core/deps.ts';
import { arrivalOf } from '../../functions/core/http/edge.ts';
import { clientAddressOf, viewerAddressOf } from '../../functions/core/http/origin.ts';

describe('viewerAddressOf', () => {
  it.each([
    ['198.51.100.10:46532', '198.51.100.10'],
    [' 198.51.100.10:0 ', '198.51.100.10'],
    ['2001:db8:85a3::8a2e:370:7334:46532', '2001:db8:85a3::8a2e:370:7334'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['::1:443', '::1'],
    ['[::ffff:198.51.100.10]:443', '::ffff:198.51.100.10'],
  ])('reads %s as %s', (value, address) => {
    expect(viewerAddressOf(value)).toBe(address);
  });

  it.each([
    undefined,
    '',
    '198.51.100.10',
    '198.51.100.10:',
    '198.51.100.10:65536',
    '198.51.100.10:443,203.0.113.1:443',
    '[198.51.100.10]:443',
    '[2001:db8::1]',
    'example.com:443',
    '999.1.1.1:443',
    '2001:db8::1::2:443',
  ])('finds no address in %j', (value) => {
    expect(viewerAddressOf(value)).toBeUndefined();
  });

  it('reads back every IPv4 address and port CloudFront could write', () => {
    const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.'));
    fc.assert(fc.property(ipv4, fc.nat(65_535), (ip, port) => viewerAddressOf(`${ip}:${port}`) === ip));
  });
});

describe('clientAddressOf', () => {
  const event = (viewer: string) => ({
    headers: { 'cloudfront-viewer-address': viewer },
    requestContext: { http: { sourceIp: '203.0.113.9' } },
  });

  it('believes the viewer header only for a request that came through CloudFront', () => {
    expect(clientAddressOf(event('198.51.100.1:443'), true)).toBe('198.51.100.1');
    expect(clientAddressOf(event('198.51.100.1:443'), false)).toBe('203.0.113.9');
  });

  it('falls back to the source IP when the header holds no address', () => {
    expect(clientAddressOf(event('nonsense'), true)).toBe('203.0.113.9');
  });
});

describe('arrivalOf', () => {
  const withSecret = (secret: string | undefined) => ({ originSecret: async () => secret }) as unknown as Deps;

  it('is direct when no CloudFront is in front, whatever the request says', async () => {
    expect(await arrivalOf(withSecret(undefined), { 'x-origin-verify': 'anything' })).toBe('direct');
  });

  it('is edge only for the exact secret, bypass for anything else', async () => {
    const d = withSecret('s3cr3t-value');
    expect(await arrivalOf(d, { 'x-origin-verify': 's3cr3t-value' })).toBe('edge');
    for (const given of [undefined, '', 's3cr3t-valu', 's3cr3t-value ', 'S3CR3T-VALUE', 's3cr3t-value,s3cr3t-value']) {
      expect(await arrivalOf(d, { 'x-origin-verify': given })).toBe('bypass');
    }
  });
});
