/**
 * The names of the settings the handlers read from the environment: plain
 * data, so that the stack (lib/) can check the settings it is given without
 * loading zod. infra/config.ts holds their schema and defaults.
 */
export const settingNames = [
  'ISSUER',
  'AUDIENCE',
  'ACCESS_TOKEN_TTL',
  'REFRESH_REUSE_GRACE',
  'DEFAULT_TIMEZONE',
  'TENANT_TIMEZONES',
  'LOGIN_RATE_LIMIT',
  'LOCKOUT_THRESHOLD',
  'LOCKOUT_SECONDS',
  'RESET_CODE_LENGTH',
  'RESET_CODE_TTL',
  'INVITE_CODE_TTL',
  'RESET_EMAIL_LIMIT',
  'RESET_IP_LIMIT',
  'PASSWORD_MIN_LENGTH',
  'AUDIT_RETENTION_DAYS',
  'AUDIT_REFRESHES',
  'MAIL_FROM',
  'MAIL_DELIVERY',
  'MAIL_CONFIGURATION_SET',
  'PRODUCT_NAME',
] as const;

export type SettingName = (typeof settingNames)[number];
