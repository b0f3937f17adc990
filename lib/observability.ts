/**
 * What the stack watches: CloudWatch alarms on the functions, the API, the
 * tables, the signing-key rotation and the service's own metrics (embedded
 * metric format, `functions/core/infra/metric-names.ts`), every one sending
 * to one SNS topic; and one dashboard with the same figures. README "Deploy"
 * lists each alarm and its threshold.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { metricNames, metricNamespace, serviceDimension, type MetricName } from '../functions/core/infra/metric-names.ts';
import type { AuthFunction } from './auth-function.ts';
import { topicKey } from './encryption.ts';
import type { SigningKeySecrets } from './signing-keys.ts';

/** When the alarms fire. Counts are per 5 minutes. */
export interface AlarmThresholds {
  /**
   * Percent of the API's requests answered with a 5xx.
   * @default 5
   */
  readonly apiErrorRatePercent: number;
  /**
   * Errors of one function (a crash, a timeout, running out of memory; handlers answer every other failure themselves).
   * @default 1
   */
  readonly functionErrors: number;
  /**
   * Throttled invocations of one function.
   * @default 1
   */
  readonly functionThrottles: number;
  /**
   * Failed logins, whatever the reason.
   * @default 50
   */
  readonly failedLogins: number;
  /**
   * Refresh-token reuse detections (each revokes a session).
   * @default 5
   */
  readonly refreshReuse: number;
  /**
   * Emails SES did not accept.
   * @default 1
   */
  readonly mailFailures: number;
  /**
   * Read and write throttle events of one table.
   * @default 1
   */
  readonly tableThrottles: number;
}

export const defaultAlarmThresholds: AlarmThresholds = {
  apiErrorRatePercent: 5,
  functionErrors: 1,
  functionThrottles: 1,
  failedLogins: 50,
  refreshReuse: 5,
  mailFailures: 1,
  tableThrottles: 1,
};

export interface ObservabilityProps {
  /** The stack's functions by key (`login`, `authorizer`, `keyManager`, …). */
  readonly functions: ReadonlyMap<string, AuthFunction>;
  readonly httpApi: HttpApi;
  readonly tables: Readonly<Record<string, Table>>;
  readonly keys: SigningKeySecrets;
  /** Where bounce and complaint notifications that could not be applied wait (lib/mail.ts); none with mail off. */
  readonly mailFeedbackDeadLetters?: IQueue | undefined;
  /**
   * An SNS topic of yours that every alarm notifies.
   * @default - a topic of the stack's, encrypted with a KMS key of its own
   */
  readonly alarmTopicArn?: string;
  /** @default defaultAlarmThresholds */
  readonly thresholds?: Partial<AlarmThresholds>;
  /**
   * The stack's customer-managed key, which the topic it makes is then encrypted with.
   * @default - a key of the topic's own
   */
  readonly encryptionKey?: IKey;
}

const FIVE_MINUTES = Duration.minutes(5);
/** `failedLogins` → `FailedLogins`: a key of the stack as a part of an id or a context key. */
export const upperFirst = (key: string): string => key.charAt(0).toUpperCase() + key.slice(1);

export class Observability extends Construct {
  /** Where every alarm sends. */
  readonly topic: ITopic;
  /** Every alarm, by id (`LoginErrors`, `FailedLogins`, `UsersTableThrottles`, …). */
  readonly alarms = new Map<string, Alarm>();
  readonly dashboard: Dashboard;
  private readonly thresholds: AlarmThresholds;
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.thresholds = { ...defaultAlarmThresholds, ...props.thresholds };
    this.topic = props.alarmTopicArn ? Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) : this.createTopic(props.encryptionKey);
    this.action = new SnsAction(this.topic);
    const t = this.thresholds;

    // The API and each function.
    const apiErrorRate = new MathExpression({
      expression: '100 * errors / requests',
      usingMetrics: {
        errors: props.httpApi.metricServerError(sum()),
        requests: props.httpApi.metricCount(sum()),
      },
      label: '5xx, % of requests',
      period: FIVE_MINUTES,
    });
    this.alarm(
      'ApiErrorRate',
      'More of the API’s answers than usual were 5xx (500: a bug; 503: a dependency throttling or down)',
      apiErrorRate,
      {
        threshold: t.apiErrorRatePercent,
        comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
    );
    for (const [key, fn] of props.functions) {
      const name = upperFirst(key);
      this.alarm(`${name}Errors`, `Function ${key} failed (crash, timeout or out of memory)`, fn.lambda.metricErrors(sum()), {
        threshold: t.functionErrors,
      });
      this.alarm(`${name}Throttles`, `Lambda throttled invocations of function ${key}`, fn.lambda.metricThrottles(sum()), {
        threshold: t.functionThrottles,
      });
    }

    // What the service counts itself.
    this.alarm('FailedLogins', 'A spike of failed logins (password guessing?)', this.serviceMetric(metricNames.loginFailed), {
      threshold: t.failedLogins,
    });
    this.alarm(
      'RefreshReuse',
      'A spike of refresh-token reuse (stolen tokens, or a client that retries badly)',
      this.serviceMetric(metricNames.refreshReuseDetected),
      {
        threshold: t.refreshReuse,
      },
    );
    this.alarm(
      'MailFailures',
      'SES refused email (reset codes, invitations, notices did not go out)',
      this.serviceMetric(metricNames.mailSendFailed),
      {
        threshold: t.mailFailures,
      },
    );

    // The tables.
    for (const table of Object.values(props.tables)) {
      this.alarm(`${table.node.id}TableThrottles`, `DynamoDB throttled the ${table.node.id} table`, tableThrottles(table), {
        threshold: t.tableThrottles,
      });
    }

    // Key rotation: the key outliving its period, or the checks stopping (no data), or a scheduled run given up on.
    const keyAge = this.serviceMetric(metricNames.signingKeyAge, { statistic: 'Maximum', period: Duration.days(1) });
    this.alarm(
      'SigningKeyAge',
      `The signing key was not rotated within ${props.keys.keyRotationDays} days and a day, or its checks stopped`,
      keyAge,
      {
        threshold: (props.keys.keyRotationDays + 1) * 86_400,
        comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
        missing: TreatMissingData.BREACHING,
      },
    );
    const deadLetters = this.deadLetterAlarm(
      'KeyRotationDeadLetters',
      'A scheduled key rotation or check failed for good: its event waits in RotationDeadLetters',
      props.keys.rotationDeadLetters,
    );

    if (props.mailFeedbackDeadLetters) {
      this.deadLetterAlarm(
        'MailFeedbackDeadLetters',
        'A bounce or complaint notification could not be applied: it waits in the mail feedback dead-letter queue',
        props.mailFeedbackDeadLetters,
      );
    }

    this.dashboard = this.createDashboard(props, apiErrorRate, keyAge, deadLetters);
  }

  /** A metric of `metric-names.ts`, as this stack's functions count it. */
  private serviceMetric(name: MetricName, options: { statistic?: string; period?: Duration } = {}): Metric {
    return new Metric({
      namespace: metricNamespace,
      metricName: name,
      dimensionsMap: { [serviceDimension]: Stack.of(this).stackName },
      statistic: options.statistic ?? 'Sum',
      period: options.period ?? FIVE_MINUTES,
    });
  }

  /** An alarm on any message waiting in `queue`; returns the alarm's metric. */
  private deadLetterAlarm(id: string, description: string, queue: IQueue): IMetric {
    const waiting = queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES });
    this.alarm(id, description, waiting, { threshold: 1 });
    return waiting;
  }

  private alarm(
    id: string,
    description: string,
    metric: IMetric,
    options: { threshold: number; comparison?: ComparisonOperator; missing?: TreatMissingData },
  ): Alarm {
    const alarm = new Alarm(this, id, {
      alarmName: `${Stack.of(this).stackName}-${id}`,
      alarmDescription: description,
      metric,
      threshold: options.threshold,
      comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: options.missing ?? TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    this.alarms.set(id, alarm);
    return alarm;
  }

  /** A topic only CloudWatch alarms of this stack may publish to, encrypted with a key CloudWatch may use. */
  private createTopic(stackKey: IKey | undefined): Topic {
    const stack = Stack.of(this);
    // Without the stack's key, one for this topic alone: CloudWatch cannot use SNS's AWS-managed key.
    const key =
      stackKey ?? topicKey(this, 'AlarmTopicKey', `Encrypts the alarm notifications of ${stack.stackName}`, 'cloudwatch.amazonaws.com');
    const topic = new Topic(this, 'AlarmTopic', { displayName: `${stack.stackName} alarms`, masterKey: key, enforceSSL: true });
    topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: `${stack.stackName}-*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    return topic;
  }

  /**
   * Allowed decisions, derived rather than counted (the authorizer writes no
   * metric line for them, which would cost more log bytes than the decision):
   * its invocations less its refusals and its errors.
   */
  private authorizerAllowed(props: ObservabilityProps): IMetric {
    const authorizer = props.functions.get('authorizer');
    if (!authorizer) throw new Error('No authorizer function to watch');
    return new MathExpression({
      expression: 'MAX([invocations - denied - errors, 0])',
      usingMetrics: {
        invocations: authorizer.lambda.metricInvocations(sum()),
        denied: this.serviceMetric(metricNames.authorizerDenied),
        errors: authorizer.lambda.metricErrors(sum()),
      },
      label: 'AuthorizerAllowed (invocations − denied − errors)',
      period: FIVE_MINUTES,
    });
  }

  private createDashboard(props: ObservabilityProps, apiErrorRate: IMetric, keyAge: Metric, deadLetters: IMetric): Dashboard {
    const graph = (title: string, metrics: IMetric[], width = 8) => new GraphWidget({ title, left: metrics, width, height: 6 });
    const counts = (...names: MetricName[]) => names.map((name) => this.serviceMetric(name));
    const perFunction = (metric: (fn: AuthFunction) => IMetric) => [...props.functions.values()].map(metric);
    const dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms.values()], width: 24, height: 6 }));
    dashboard.addWidgets(
      graph('API requests and 5xx', [props.httpApi.metricCount(sum()), props.httpApi.metricServerError(sum())], 12),
      graph('API 5xx rate (%)', [apiErrorRate], 12),
    );
    dashboard.addWidgets(
      graph('Logins', counts(metricNames.loginSucceeded, metricNames.loginFailed, metricNames.accountLocked)),
      graph('Refreshes', counts(metricNames.refreshSucceeded, metricNames.refreshReuseDetected)),
      graph('Authorizer decisions', [this.authorizerAllowed(props), ...counts(metricNames.authorizerDenied)]),
    );
    dashboard.addWidgets(
      graph('Password resets', counts(metricNames.passwordResetRequested, metricNames.passwordResetCompleted)),
      graph('Emails SES refused', counts(metricNames.mailSendFailed)),
      graph('DynamoDB throttles seen by the functions', counts(metricNames.dynamoDbThrottled)),
    );
    dashboard.addWidgets(
      graph(
        'Function errors',
        perFunction((fn) => fn.lambda.metricErrors({ ...sum(), label: fn.node.id })),
        12,
      ),
      graph(
        'Function throttles',
        perFunction((fn) => fn.lambda.metricThrottles({ ...sum(), label: fn.node.id })),
        12,
      ),
    );
    dashboard.addWidgets(
      graph(
        'Table throttle events',
        Object.values(props.tables).map((table) => tableThrottles(table)),
      ),
      graph('Signing key age (days)', [
        new MathExpression({ expression: 'age / 86400', usingMetrics: { age: keyAge }, label: 'days', period: Duration.days(1) }),
      ]),
      graph('Key rotation dead letters', [deadLetters]),
    );
    return dashboard;
  }
}

const sum = () => ({ statistic: 'Sum', period: FIVE_MINUTES });

/** Read and write throttle events of a table, in one figure (ids named after the table, so that several share a graph). */
function tableThrottles(table: Table): IMetric {
  const id = table.node.id.charAt(0).toLowerCase() + table.node.id.slice(1);
  return new MathExpression({
    expression: `FILL(${id}Reads, 0) + FILL(${id}Writes, 0)`,
    usingMetrics: {
      [`${id}Reads`]: table.metric('ReadThrottleEvents', sum()),
      [`${id}Writes`]: table.metric('WriteThrottleEvents', sum()),
    },
    label: table.node.id,
    period: FIVE_MINUTES,
  });
}
