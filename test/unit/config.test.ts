import { describe, expect, it } from 'vitest';
import { ConfigurationError, loadSettings } from '../../functions/core/infra/config.ts';

describe('loadSettings', () => {
  it('applies the defaults of API.md', () => {
    expect(loadSettings({})).toEqual({
      issuer: undefined,
      audience: 'serverless-auth',
      accessTokenTtl: 900,
      refreshReuseGrace: 10,
      defaultTimeZone: 'UTC',
      tenantTimeZones: {},
      loginRateLimit: 5,
      lockoutThreshold: 5,
      lockoutSeconds: 900,
      resetCodeLength: 6,
      resetCodeTtl: 600,
      inviteCodeTtl: 259200,
      resetEmailLimit: 5,
      resetIpLimit: 20,
      passwordMinLength: 8,
      auditRetentionDays: 90,
      auditRefreshes: 'table',
      mailFrom: 'no-reply@example.com',
      mailDelivery: 'ses',
      mailConfigurationSet: undefined,
      productName: 'Serverless Auth',
    });
  });

  it('reads values and zone maps', () => {
    const settings = loadSettings({
      ACCESS_TOKEN_TTL: '60',
      TENANT_TIMEZONES: '{"acme":"Asia/Tokyo"}',
      ISSUER: 'https://auth.example.com/',
    });
    expect(settings.accessTokenTtl).toBe(60);
    expect(settings.tenantTimeZones).toEqual({ acme: 'Asia/Tokyo' });
    expect(settings.issuer).toBe('https://auth.example.com');
  });

  it('reads AUDIT_REFRESHES=log', () => {
    expect(loadSettings({ AUDIT_REFRESHES: 'log' }).auditRefreshes).toBe('log');
  });

  it('reads mail switched off and the configuration set mail goes through', () => {
    expect(loadSettings({ MAIL_DELIVERY: 'off' }).mailDelivery).toBe('off');
    expect(loadSettings({ MAIL_CONFIGURATION_SET: 'ServerlessAuth-Mail_1' }).mailConfigurationSet).toBe('ServerlessAuth-Mail_1');
  });

  it.each([
    ['ACCESS_TOKEN_TTL', 'soon'],
    ['ACCESS_TOKEN_TTL', '-5'],
    ['LOCKOUT_THRESHOLD', '1.5'],
    ['RESET_CODE_LENGTH', '4'],
    ['PASSWORD_MIN_LENGTH', '6'],
    ['DEFAULT_TIMEZONE', 'Mars/Olympus'],
    ['TENANT_TIMEZONES', '{not json'],
    ['TENANT_TIMEZONES', '{"acme":"Nowhere/City"}'],
    ['ISSUER', 'not a url'],
    ['AUDIT_REFRESHES', 'none'],
    ['MAIL_DELIVERY', 'smtp'],
    ['MAIL_CONFIGURATION_SET', 'has spaces'],
    ['MAIL_CONFIGURATION_SET', 'x'.repeat(65)],
  ])('stops on a bad %s and names it', (name, value) => {
    expect(() => loadSettings({ [name]: value })).toThrow(ConfigurationError);
    expect(() => loadSettings({ [name]: value })).toThrow(name);
  });
});
