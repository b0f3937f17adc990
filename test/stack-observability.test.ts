/**
 * What the stack watches (lib/observability.ts): each alarm with its metric,
 * threshold and action, the topic they notify, the dashboard, and the key
 * manager's schedule that feeds the key-age alarm. cdk-nag (AwsSolutions and
 * Serverless) runs over the whole stack in test/stack.test.ts.
 */
import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cdkApp } from './fixtures/cdk-app.ts';
import { AuthStack, type AuthStackProps } from '../lib/auth-stack.ts';
import { tables } from '../lib/tables.ts';

function synth(props: AuthStackProps = {}): { stack: AuthStack; template: Template } {
  // A stack that sends mail must name its sender.
  const stack = new AuthStack(cdkApp(), 'Auth', { mailFrom: 'no-reply@auth.example.com', ...props });
  return { stack, template: Template.fromStack(stack) };
}

const idOf = (stack: Stack, construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);

type Resource = { Properties: Record<string, any>; DependsOn?: string[] };

describe('Observability', () => {
  let stack: AuthStack;
  let template: Template;
  let alarms: Record<string, Resource>;
  let topicRef: { Ref: string };
  const alarmOf = (id: string): Record<string, any> => {
    const alarm = stack.observability.alarms.get(id);
    expect(alarm, id).toBeDefined();
    return (alarms[idOf(stack, alarm as IConstruct)] as Resource).Properties;
  };

  beforeAll(() => {
    ({ stack, template } = synth());
    alarms = template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>;
    topicRef = { Ref: idOf(stack, stack.observability.topic as unknown as IConstruct) };
  });

  describe('the alarm topic', () => {
    it('is the stack’s own, encrypted with a rotating key that CloudWatch may use, and refuses anything but TLS', () => {
      const keyId = Object.keys(template.findResources('AWS::KMS::Key'))[0] as string;
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      const policy = JSON.stringify(template.findResources('AWS::SNS::TopicPolicy'));
      expect(policy).toContain('aws:SecureTransport');
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': Match.objectLike({ 'Fn::Join': Match.anyValue() }) } }),
            }),
          ]),
        },
      });
      expect(JSON.stringify(template.findResources('AWS::SNS::TopicPolicy'))).toContain(':alarm:Auth-*');
      template.hasOutput('AlarmTopicArn', { Value: topicRef });
    });

    it('is every alarm’s only action', () => {
      expect(Object.keys(alarms).length).toBe(stack.observability.alarms.size);
      for (const [id, alarm] of Object.entries(alarms)) {
        expect(alarm.Properties.AlarmActions, id).toEqual([topicRef]);
        expect(alarm.Properties.AlarmName, id).toMatch(/^Auth-/);
      }
    });

    it('is the topic given as alarmTopicArn instead, when there is one: no topic, no key of the stack’s', () => {
      const arn = 'arn:aws:sns:eu-west-1:123456789012:ops-alarms';
      const { template: given } = synth({ alarmTopicArn: arn });
      // The only topic and key left are the mail feedback's (lib/mail.ts).
      expect(Object.values(given.findResources('AWS::SNS::Topic')).map((t) => t.Properties.DisplayName)).toEqual([
        'SES bounces and complaints of the auth service',
      ]);
      expect(Object.values(given.findResources('AWS::KMS::Key')).map((k) => k.Properties.Description)).toEqual([
        'Encrypts the SES bounce and complaint notifications of the auth service',
      ]);
      for (const alarm of Object.values(given.findResources('AWS::CloudWatch::Alarm'))) {
        expect(alarm.Properties.AlarmActions).toEqual([arn]);
      }
    });
  });

  describe('alarms', () => {
    const lambdaAlarm = (metric: string) => ({
      Namespace: 'AWS/Lambda',
      MetricName: metric,
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });

    it('watches every function for errors and throttles, one alarm each, at 1 in 5 minutes', () => {
      expect(stack.functions.size).toBeGreaterThan(20);
      for (const [key, fn] of stack.functions) {
        const name = key.charAt(0).toUpperCase() + key.slice(1);
        const dimensions = [{ Name: 'FunctionName', Value: { Ref: idOf(stack, fn.lambda) } }];
        expect(alarmOf(`${name}Errors`)).toMatchObject({ ...lambdaAlarm('Errors'), Dimensions: dimensions });
        expect(alarmOf(`${name}Throttles`)).toMatchObject({ ...lambdaAlarm('Throttles'), Dimensions: dimensions });
      }
      expect(alarmOf('AuthorizerErrors').AlarmDescription).toMatch(/authorizer/);
    });

    it('watches the API’s 5xx rate: over 5% of requests in 5 minutes', () => {
      const alarm = alarmOf('ApiErrorRate');
      expect(alarm).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1 });
      const byId = Object.fromEntries((alarm.Metrics as { Id: string }[]).map((metric) => [metric.Id, metric]));
      expect(Object.values(byId).find((m: any) => m.Expression)).toMatchObject({ Expression: '100 * errors / requests', ReturnData: true });
      const apiId = { Ref: idOf(stack, stack.httpApi) };
      expect(byId.errors).toMatchObject({
        MetricStat: {
          Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: [{ Name: 'ApiId', Value: apiId }] },
          Stat: 'Sum',
        },
      });
      expect(byId.requests).toMatchObject({ MetricStat: { Metric: { MetricName: 'Count' }, Stat: 'Sum', Period: 300 } });
    });

    it.each([
      ['FailedLogins', 'LoginFailed', 50],
      ['RefreshReuse', 'RefreshReuseDetected', 5],
      ['MailFailures', 'MailSendFailed', 1],
    ])('%s: the service’s %s metric, of this stack only, at %i in 5 minutes', (id, metric, threshold) => {
      expect(alarmOf(id)).toMatchObject({
        Namespace: 'ServerlessAuth',
        MetricName: metric,
        Dimensions: [{ Name: 'service', Value: 'Auth' }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it('tells each function the stack’s name, the service dimension of its metrics', () => {
      for (const [key, fn] of stack.functions) {
        const resource = template.toJSON().Resources[idOf(stack, fn.lambda)];
        expect(resource.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME, key).toBe('Auth');
      }
    });

    it.each(Object.values(tables).map((table) => table.id))('watches the %s table’s read and write throttle events', (id) => {
      const tableRef = { Ref: idOf(stack, stack.node.findChild(id)) };
      const alarm = alarmOf(`${id}TableThrottles`);
      expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      const metrics = (alarm.Metrics as any[]).filter((metric) => metric.MetricStat).map((metric) => metric.MetricStat);
      expect(metrics).toEqual(
        ['ReadThrottleEvents', 'WriteThrottleEvents'].map((name) => ({
          Metric: { Namespace: 'AWS/DynamoDB', MetricName: name, Dimensions: [{ Name: 'TableName', Value: tableRef }] },
          Period: 300,
          Stat: 'Sum',
        })),
      );
    });

    it('fires when the signing key outlives its rotation period by a day, or its age stops being reported', () => {
      expect(alarmOf('SigningKeyAge')).toMatchObject({
        Namespace: 'ServerlessAuth',
        MetricName: 'SigningKeyAge',
        Statistic: 'Maximum',
        Period: 86_400,
        Threshold: 31 * 86_400,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'breaching',
      });
      const { stack: weekly } = synth({ keyRotationDays: 7 });
      const alarm = weekly.observability.alarms.get('SigningKeyAge') as IConstruct;
      expect(Template.fromStack(weekly).toJSON().Resources[idOf(weekly, alarm)].Properties.Threshold).toBe(8 * 86_400);
    });

    it('has the key manager report that age twice a day, and keep a failed scheduled run in the dead-letter queue', () => {
      const keyManager = stack.functions.get('keyManager');
      const queueId = idOf(stack, stack.node.findChild('Keys').node.findChild('RotationDeadLetters'));
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(12 hours)',
        Targets: [Match.objectLike({ Input: '{"action":"check"}', DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } } })],
      });
      const fn = template.toJSON().Resources[idOf(stack, keyManager?.lambda as IConstruct)];
      expect(fn.Properties.DeadLetterConfig).toEqual({ TargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
      expect(alarmOf('KeyRotationDeadLetters')).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Threshold: 1,
      });
    });

    it('takes every threshold from alarmThresholds, keeping the default of each one left out', () => {
      const { stack: tuned, template: tunedTemplate } = synth({ alarmThresholds: { failedLogins: 200, apiErrorRatePercent: 2 } });
      const threshold = (id: string) =>
        tunedTemplate.toJSON().Resources[idOf(tuned, tuned.observability.alarms.get(id) as IConstruct)].Properties.Threshold;
      expect(threshold('FailedLogins')).toBe(200);
      expect(threshold('ApiErrorRate')).toBe(2);
      expect(threshold('RefreshReuse')).toBe(5);
    });
  });

  describe('the dashboard', () => {
    it('shows every alarm and the figures they watch', () => {
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
      const body = JSON.stringify(dashboard?.Properties.DashboardBody);
      for (const metric of [
        'LoginSucceeded',
        'LoginFailed',
        'AccountLocked',
        'RefreshSucceeded',
        'RefreshReuseDetected',
        'PasswordResetRequested',
        'PasswordResetCompleted',
        'Invocations',
        'AuthorizerDenied',
        'MailSendFailed',
        'DynamoDBThrottled',
        'SigningKeyAge',
        'ReadThrottleEvents',
        'ApproximateNumberOfMessagesVisible',
        '5xx',
      ]) {
        // The body is a JSON string inside the template's JSON: its quotes arrive escaped.
        expect(body, metric).toContain(`\\"${metric}\\"`);
      }
      // Allowed decisions are not counted by the authorizer: the dashboard derives them.
      expect(body).toContain('AuthorizerAllowed (invocations − denied − errors)');
      expect(body).toContain('MAX([invocations - denied - errors, 0])');
      for (const id of Object.keys(alarms)) expect(body, id).toContain(`"${id}"`);
      template.hasOutput('DashboardName', { Value: { Ref: Object.keys(template.findResources('AWS::CloudWatch::Dashboard'))[0] } });
    });
  });
});
