/**
 * Settings read from the environment, checked once per container. A bad value
 * stops start-up with a message that names the variable.
 */
import * as z from 'zod';
import type { SettingName } from './setting-names.ts';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};
const timeZone = z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris');

const jsonMap = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), timeZone));

const settingsSchema = z.object({
  ISSUER: z.url().optional(),
  AUDIENCE: z.string().min(1).default('serverless-auth'),
  ACCESS_TOKEN_TTL: positiveInt(900),
  REFRESH_REUSE_GRACE: positiveInt(10),
  DEFAULT_TIMEZONE: timeZone.default('UTC'),
  TENANT_TIMEZONES: jsonMap.default({}),
  LOGIN_RATE_LIMIT: positiveInt(5),
  LOCKOUT_THRESHOLD: positiveInt(5),
  LOCKOUT_SECONDS: positiveInt(900),
  RESET_CODE_LENGTH: z.coerce.number().int().min(6).max(10).default(6),
  RESET_CODE_TTL: positiveInt(600),
  INVITE_CODE_TTL: positiveInt(259_200),
  RESET_EMAIL_LIMIT: positiveInt(5),
  RESET_IP_LIMIT: positiveInt(20),
  // ASVS 5.0 V6.2.1 and NIST SP 800-63B: never fewer than 8.
  PASSWORD_MIN_LENGTH: z.coerce.number().int().min(8).max(64).default(8),
  AUDIT_RETENTION_DAYS: positiveInt(90),
  AUDIT_REFRESHES: z.enum(['table', 'log']).default('table'),
  MAIL_FROM: z.string().min(3).max(320).default('no-reply@example.com'),
  MAIL_DELIVERY: z.enum(['ses', 'off']).default('ses'),
  MAIL_CONFIGURATION_SET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an SES configuration set name')
    .optional(),
  PRODUCT_NAME: z.string().min(1).max(100).default('Serverless Auth'),
} satisfies Record<SettingName, z.ZodType>);

export type Settings = {
  /** `iss` of access tokens; when unset, the API's base URL of the request. */
  readonly issuer: string | undefined;
  readonly audience: string;
  readonly accessTokenTtl: number;
  readonly refreshReuseGrace: number;
  readonly defaultTimeZone: string;
  readonly tenantTimeZones: Readonly<Record<string, string>>;
  readonly loginRateLimit: number;
  readonly lockoutThreshold: number;
  readonly lockoutSeconds: number;
  readonly resetCodeLength: number;
  readonly resetCodeTtl: number;
  /** How long an invitation code works: days, not minutes, since the invitee is not waiting for it. */
  readonly inviteCodeTtl: number;
  readonly resetEmailLimit: number;
  readonly resetIpLimit: number;
  readonly passwordMinLength: number;
  readonly auditRetentionDays: number;
  /**
   * Where `refresh.succeeded` goes: `table` (an audit item per refresh, one
   * write) or `log` (the structured log line and its metric only, no write).
   * Every other event type always goes to the table.
   * @default 'table'
   */
  readonly auditRefreshes: 'table' | 'log';
  /** Sender of every email; in AWS an SES-verified identity. */
  readonly mailFrom: string;
  /**
   * `off`: the service sends no email at all (a stack deployed with mail
   * off): forgot mails no code, and a user can only be created with a password.
   * @default 'ses'
   */
  readonly mailDelivery: 'ses' | 'off';
  /** The SES configuration set every email is sent through (its bounces and complaints come back through it). */
  readonly mailConfigurationSet: string | undefined;
  /** Names the service in emails. */
  readonly productName: string;
};

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/** Parses settings from an environment; empty strings count as unset. */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const present = Object.fromEntries(
    Object.keys(settingsSchema.shape)
      .map((key) => [key, env[key]])
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = settingsSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ConfigurationError(`Invalid setting: ${problems.join('; ')}`);
  }
  const s = parsed.data;
  return {
    issuer: s.ISSUER?.replace(/\/+$/, ''),
    audience: s.AUDIENCE,
    accessTokenTtl: s.ACCESS_TOKEN_TTL,
    refreshReuseGrace: s.REFRESH_REUSE_GRACE,
    defaultTimeZone: s.DEFAULT_TIMEZONE,
    tenantTimeZones: s.TENANT_TIMEZONES,
    loginRateLimit: s.LOGIN_RATE_LIMIT,
    lockoutThreshold: s.LOCKOUT_THRESHOLD,
    lockoutSeconds: s.LOCKOUT_SECONDS,
    resetCodeLength: s.RESET_CODE_LENGTH,
    resetCodeTtl: s.RESET_CODE_TTL,
    inviteCodeTtl: s.INVITE_CODE_TTL,
    resetEmailLimit: s.RESET_EMAIL_LIMIT,
    resetIpLimit: s.RESET_IP_LIMIT,
    passwordMinLength: s.PASSWORD_MIN_LENGTH,
    auditRetentionDays: s.AUDIT_RETENTION_DAYS,
    auditRefreshes: s.AUDIT_REFRESHES,
    mailFrom: s.MAIL_FROM,
    mailDelivery: s.MAIL_DELIVERY,
    mailConfigurationSet: s.MAIL_CONFIGURATION_SET,
    productName: s.PRODUCT_NAME,
  };
}

/** The time zone whose midnight ends a tenant's sessions. */
export const tenantTimeZone = (settings: Settings, tenantId: string): string =>
  settings.tenantTimeZones[tenantId] ?? settings.defaultTimeZone;
