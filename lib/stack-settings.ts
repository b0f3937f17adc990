/**
 * What the stack makes of its props before it builds anything: the API
 * settings every function gets, checked against the settings schema and the
 * API's domain, the functions to keep warm, and the sender of the service's
 * mail with the SES identity it may send as.
 */
import { Annotations, type Stack } from 'aws-cdk-lib';
import { settingNames } from '../functions/core/infra/setting-names.ts';
import { operations } from '../functions/routes.ts';
import type { AuthStackProps } from './auth-stack.ts';

/** Settings the stack derives from its own props and resources, never taken from `settings`. */
const stackOwned: Readonly<Record<string, string>> = {
  MAIL_DELIVERY: 'it follows the mail prop (context mail=off)',
  MAIL_CONFIGURATION_SET: 'it names the configuration set the stack creates',
};

export function checkedSettings(settings: Readonly<Record<string, string>>): Record<string, string> {
  const unknown = Object.keys(settings).filter((name) => !(settingNames as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(`Unknown setting ${unknown.join(', ')}; known: ${settingNames.join(', ')}`);
  }
  for (const name of Object.keys(settings)) {
    if (stackOwned[name]) throw new Error(`The setting ${name} is set by the stack: ${stackOwned[name]}`);
  }
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== ''));
}

/**
 * `settings`, once an explicit `ISSUER` is known to agree with where the
 * stack serves the API: with a domain of its own that is `https://<domain>`;
 * behind CloudFront without one it is CloudFront's own name, known only once
 * deployed, so no ISSUER can be checked against it.
 */
export function checkedIssuer(
  settings: Readonly<Record<string, string>>,
  props: Pick<AuthStackProps, 'domainName' | 'cloudFront'>,
): Readonly<Record<string, string>> {
  const issuer = settings.ISSUER;
  if (issuer === undefined) return settings;
  const domainUrl = props.domainName ? `https://${props.domainName}` : undefined;
  if (domainUrl && issuer !== domainUrl) {
    throw new Error(
      `The ISSUER setting (${issuer}) disagrees with domainName: the API is served at ${domainUrl}, so that is its issuer; drop the setting or make it ${domainUrl}`,
    );
  }
  if (!domainUrl && props.cloudFront) {
    throw new Error(
      `The ISSUER setting (${issuer}) cannot be checked against CloudFront's own address: set domainName and certificateArn to choose the issuer, or drop the setting`,
    );
  }
  return settings;
}

/** Provisioned concurrency by function key, once every key is known to name a function that API Gateway calls. */
export function checkedProvisionedConcurrency(counts: Readonly<Record<string, number>>): Readonly<Record<string, number>> {
  checkFunctionKeys('provisionedConcurrency', Object.keys(counts));
  return counts;
}

/** The functions `untraced` names, each one the API has. */
export function checkedUntraced(keys: readonly string[]): ReadonlySet<string> {
  checkFunctionKeys('untraced', keys);
  return new Set(keys);
}

/** A setting that names HTTP functions by key must name only functions the API has. */
function checkFunctionKeys(setting: string, named: readonly string[]): void {
  const keys = ['authorizer', 'fallback', ...operations.map((operation) => operation.operationId)];
  const unknown = named.filter((key) => !keys.includes(key));
  if (unknown.length > 0) {
    throw new Error(`${setting} names no function of the API: ${unknown.join(', ')} (use authorizer or an operation id such as login)`);
  }
}

/** Mail on, with its sender and the SES identity it sends as; or off, and nothing is sent. */
export type MailSettings = { readonly kind: 'on'; readonly from: string; readonly identity: string } | { readonly kind: 'off' };

/**
 * The sender and the SES identity it sends as. A stack that sends mail must
 * name its sender: without one, synth fails, unless mail is switched off on
 * purpose (the `mail` prop, context `mail=off`), which synth warns about.
 */
export function mailSettings(stack: Stack, props: AuthStackProps): MailSettings {
  const fromSettings = props.settings?.MAIL_FROM || undefined;
  if (props.mailFrom && fromSettings && props.mailFrom !== fromSettings) {
    throw new Error(`mailFrom (${props.mailFrom}) and the MAIL_FROM setting (${fromSettings}) disagree`);
  }
  const from = props.mailFrom || fromSettings;
  if (props.mail === false) {
    Annotations.of(stack).addWarningV2(
      'serverless-auth:mailOff',
      `Mail is off: the service sends no email. Forgot password still answers 202 but mails no code, and a user can only be created with a password.${from ? ` mailFrom (${from}) is not used.` : ''}`,
    );
    return { kind: 'off' };
  }
  if (!from) {
    throw new Error(
      'mailFrom is not set: deploy with -c mailFrom=no-reply@your-domain (and -c mailIdentity=your-domain when that is not the verified identity), or switch mail off with -c mail=off',
    );
  }
  // `no-reply@example.com` or `Example <no-reply@example.com>`: the domain is the identity.
  const identity = props.mailIdentity || /@([^@\s>]+)>?$/.exec(from)?.[1];
  if (!identity) throw new Error(`Cannot tell the SES identity of mailFrom ${from}: set mailIdentity`);
  return { kind: 'on', from, identity };
}
