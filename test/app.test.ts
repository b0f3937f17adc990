/**
 * bin/app.ts as `cdk synth` runs it: the CLI hands the app cdk.json's context
 * (and `-c` values) in CDK_CONTEXT_JSON, and the app writes its templates to
 * CDK_OUTDIR. Stages pick their settings, name the stack and tag it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cdkContext } from './fixtures/cdk-app.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as { context: { stages: unknown } };
const outdirs: string[] = [];

interface Synth {
  readonly status: number | null;
  readonly stderr: string;
  readonly template: (stackName: string) => { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  readonly has: (stackName: string) => boolean;
}

function synth(context: Record<string, unknown>): Synth {
  const outdir = mkdtempSync(join(tmpdir(), 'app-synth-'));
  outdirs.push(outdir);
  // No account or region from this machine: the template stays environment-agnostic.
  const { CDK_DEFAULT_ACCOUNT: _account, CDK_DEFAULT_REGION: _region, ...inherited } = process.env;
  const env = {
    ...inherited,
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify({ ...cdkContext, stages: cdkJson.context.stages, ...context }),
  };
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], { env, encoding: 'utf8', timeout: 120_000 });
  const file = (stackName: string) => join(outdir, `${stackName}.template.json`);
  return {
    status: run.status,
    stderr: run.stderr,
    has: (stackName) => existsSync(file(stackName)),
    template: (stackName) => JSON.parse(readFileSync(file(stackName), 'utf8')),
  };
}

afterAll(() => {
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

const ofType = (template: ReturnType<Synth['template']>, type: string) =>
  Object.values(template.Resources).filter((resource) => resource.Type === type);
const retentionsOf = (template: ReturnType<Synth['template']>) =>
  new Set(ofType(template, 'AWS::Logs::LogGroup').map((group) => group.Properties?.RetentionInDays));
const tagsOf = (resource: { Properties?: Record<string, unknown> }) =>
  Object.fromEntries(((resource.Properties?.Tags ?? []) as { Key: string; Value: string }[]).map((tag) => [tag.Key, tag.Value]));

const mail = { mailFrom: 'no-reply@auth.example.com' };

describe('bin/app.ts stages', () => {
  it('without a stage, synthesizes ServerlessAuth with the defaults, tagged stage=default', () => {
    const result = synth(mail);

    expect(result.status, result.stderr).toBe(0);
    expect(result.has('ServerlessAuth')).toBe(true);
    const template = result.template('ServerlessAuth');
    expect(retentionsOf(template)).toEqual(new Set([90]));
    for (const table of ofType(template, 'AWS::DynamoDB::Table')) {
      expect(tagsOf(table)).toMatchObject({ project: 'serverless-auth', stage: 'default' });
    }
  }, 180_000);

  it('with -c stage=prod, synthesizes ServerlessAuth-prod with the stage’s settings and tags', () => {
    const result = synth({ ...mail, stage: 'prod' });

    expect(result.status, result.stderr).toBe(0);
    expect(result.has('ServerlessAuth')).toBe(false);
    const template = result.template('ServerlessAuth-prod');
    expect(retentionsOf(template)).toEqual(new Set([365]));
    const functions = ofType(template, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) expect(tagsOf(fn)).toMatchObject({ project: 'serverless-auth', stage: 'prod' });
  }, 180_000);

  it('with -c stage=prod, a custom domain and CloudFront, synthesizes the whole edge beside the stage’s KMS key', () => {
    const result = synth({
      ...mail,
      stage: 'prod',
      domainName: 'auth.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/abc',
      cloudFront: 'true',
    });

    expect(result.status, result.stderr).toBe(0);
    const template = result.template('ServerlessAuth-prod');
    for (const type of [
      'AWS::KMS::Key',
      'AWS::ApiGatewayV2::DomainName',
      'AWS::CloudFront::Distribution',
      'AWS::WAFv2::WebACL',
      'AWS::CloudWatch::Dashboard',
      'AWS::SES::ConfigurationSet',
    ]) {
      expect(ofType(template, type).length, type).toBeGreaterThan(0);
    }
    for (const table of ofType(template, 'AWS::DynamoDB::Table')) {
      expect((table.Properties?.SSESpecification as { SSEType?: string } | undefined)?.SSEType).toBe('KMS');
    }
  }, 180_000);

  it('lets a -c value win over the stage’s', () => {
    const result = synth({ ...mail, stage: 'prod', logRetentionDays: '30' });

    expect(result.status, result.stderr).toBe(0);
    expect(retentionsOf(result.template('ServerlessAuth-prod'))).toEqual(new Set([30]));
  }, 180_000);

  it('refuses a stage cdk.json does not name, listing those it does, and writes no template', () => {
    const result = synth({ ...mail, stage: 'staging' });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('Unknown stage staging');
    expect(result.stderr).toContain('dev, prod');
    expect(result.has('ServerlessAuth-staging')).toBe(false);
  }, 180_000);
});
