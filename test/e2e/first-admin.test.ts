/**
 * The README's first admin, run as written (the command is read from
 * README.md, "The first admin") against the local stack through an outputs
 * file shaped as `cdk deploy --outputs-file` writes it: one key per output of
 * the synthesized stack, under the stack's name. Only the AWS endpoints are
 * pointed at the local ones (DynamoDB, SES, the key file for the token
 * secret), through the environment. An invitation that SES refuses leaves no
 * user behind.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emailKey } from '../../functions/core/records/keys.ts';
import { AuthStack } from '../../lib/auth-stack.ts';
import { tableList } from '../../lib/tables.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { cdkApp } from '../fixtures/cdk-app.ts';
import { call, startTestServer } from '../fixtures/local.ts';
import { codeIn, mailbox } from '../fixtures/mail.ts';
import { readItem, scanTable } from '../fixtures/tables.ts';

const PROJECT = resolve(import.meta.dirname, '../..');
const PASSWORD = 'First manager passphrase 12';
const SETTINGS = {
  MAIL_FROM: 'no-reply@auth.example.com',
  MAIL_CONFIGURATION_SET: 'ServerlessAuth-Mail',
  PRODUCT_NAME: 'Acme Pay Auth',
  INVITE_CODE_TTL: '86400',
};

/** The README's first-admin block, exactly as written. */
async function firstAdminBlock(): Promise<string> {
  const readme = await readFile(join(PROJECT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### The first admin'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('No shell block under "The first admin" in README.md');
  return block;
}

/** The output keys of the stack as deployed with a sender: what `cdk deploy --outputs-file` writes. */
function outputKeys(): string[] {
  const stack = new AuthStack(cdkApp(), 'ServerlessAuth', { mailFrom: SETTINGS.MAIL_FROM });
  return Object.keys(Template.fromStack(stack).toJSON().Outputs);
}

let local: LocalEnvironment;
let scratch: string;
let sandbox: Server;
let sandboxUrl: string;

beforeAll(async () => {
  local = await startTestServer({ env: { RESET_IP_LIMIT: '100000' } });
  scratch = await mkdtemp(join(tmpdir(), 'first-admin-'));
  // What SES answers in the sandbox for an address that is not verified.
  sandbox = createServer((_request, response) => {
    response.writeHead(400, { 'content-type': 'text/xml' });
    response.end(
      '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>MessageRejected</Code>' +
        '<Message>Email address is not verified.</Message></Error><RequestId>sandbox</RequestId></ErrorResponse>',
    );
  });
  await new Promise<void>((done) => sandbox.listen(0, '127.0.0.1', done));
  sandboxUrl = `http://127.0.0.1:${(sandbox.address() as AddressInfo).port}`;

  // Each output as the deployed stack would fill it, the local stack's values standing in for AWS's.
  const local_ = local;
  const values: Record<string, string> = {
    ApiUrl: local_.url,
    JwksUrl: `${local_.url}/.well-known/jwks.json`,
    TokenSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:TokenSecret-local',
    Region: 'us-east-1',
    Settings: JSON.stringify({ ISSUER: local_.url, ...SETTINGS }),
    MailConfigurationSet: SETTINGS.MAIL_CONFIGURATION_SET,
    AlarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ServerlessAuth-alarms',
    DashboardName: 'ServerlessAuth',
    ...Object.fromEntries(tableList.map((table) => [`${table.id}TableName`, local_.env[table.envVar] as string])),
  };
  const outputs = Object.fromEntries(
    outputKeys().map((key) => {
      if (values[key] === undefined) throw new Error(`The stack outputs ${key}, which this test does not know how to fill`);
      return [key, values[key]];
    }),
  );
  await writeFile(join(scratch, 'outputs.json'), JSON.stringify({ ServerlessAuth: outputs }, null, 2));
});
beforeEach(() => mailbox(local).clear());
afterAll(async () => {
  sandbox?.closeAllConnections();
  await new Promise<void>((done) => (sandbox ? sandbox.close(() => done()) : done()));
  await local?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Runs the block with bash in the folder of outputs.json; `npm` is the project's, as if run from its folder. */
function runBlock(block: string, ses: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const script = `npm() { command npm --prefix ${JSON.stringify(PROJECT)} --silent "$@"; }\nset -e\n${block}`;
  return new Promise((done, fail) => {
    const child = spawn('bash', ['-c', script], {
      cwd: scratch,
      timeout: 60_000,
      env: {
        ...process.env,
        DYNAMODB_ENDPOINT: local.dynamoEndpoint,
        SES_ENDPOINT: ses,
        SIGNING_KEYS_FILE: local.env.SIGNING_KEYS_FILE,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

describe('the README’s first admin (npm run admin -- create-user --outputs outputs.json …)', () => {
  it('is one command that invites a manager of a new tenant, as the deployed functions would', async () => {
    const block = await firstAdminBlock();
    expect(block.trim().split('\n')).toEqual([expect.stringMatching(/^npm run admin -- create-user --outputs outputs\.json /)]);
    const email = /--email (\S+)/.exec(block)?.[1] as string;
    const tenant = /--tenant (\S+)/.exec(block)?.[1] as string;

    // Sending fails first (the SES sandbox refuses the address): nothing is left behind.
    const refused = await runBlock(block, sandboxUrl);

    expect(refused.status, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`The invitation to ${email} could not be sent`);
    expect(refused.stderr).toContain('nothing was created');
    expect(await readItem(local, 'USERS_TABLE', emailKey(email))).toBeUndefined();
    expect((await scanTable(local, 'USERS_TABLE')).filter((item) => item.email === email || item.tenantId === tenant)).toEqual([]);
    expect((await scanTable(local, 'LOCKOUTS_TABLE')).filter((item) => /^RESET#/.test(String(item.pk)))).toEqual([]);

    // Act: the same command once SES takes the mail.
    const ran = await runBlock(block, local.sesUrl);

    // Assess
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.stdout.trim()).toMatch(
      new RegExp(`^Created [0-9a-f-]{36}  ${email.replace(/\./g, '\\.')}  MANAGER  active  tenant ${tenant}; an invitation went to`),
    );
    const mails = await mailbox(local).to(email);
    expect(mails).toHaveLength(1);
    // The deployed functions' settings: their sender, their product name, their invitation lifetime.
    expect(mails[0]).toMatchObject({ from: SETTINGS.MAIL_FROM, subject: `${SETTINGS.PRODUCT_NAME}: set your password` });
    expect(mails[0]?.body.text).toContain('within 1440 minutes');
    const reset = await call(local.url, '/auth/password/reset', { body: { email, code: codeIn(mails[0]!), password: PASSWORD } });
    expect(reset.status, reset.text).toBe(200);
    const session = await call(local.url, '/auth/login', { body: { email, password: PASSWORD } });
    expect(session.status).toBe(200);
    expect(session.body.user).toMatchObject({ email, role: 'MANAGER', tenant_id: tenant, created_by: null, email_status: null });
  });
});
