/**
 * One Lambda function per handler module, with the defaults every function of
 * this service shares: Node.js 24 on arm64, the bundling of `bundling.ts`,
 * its own log group, and a role that may write to that log group and nothing
 * else until a `bind…` or `grant…` call says so.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Alias, Architecture, type IFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { serviceVariable } from '../functions/core/infra/metric-names.ts';
import { iamActions, type TableGrant } from '../functions/routes.ts';
import type { AuthTable } from './auth-table.ts';
import { bundleOptions, copyNativeModulesCommands, copyStaticFilesCommands, entryOf, externalsOf, hashesPasswords } from './bundling.ts';

/** The project root: where `functions/`, `node_modules/` and the lock file are. */
export const projectRoot = fileURLToPath(new URL('..', import.meta.url));

export interface AuthFunctionProps {
  /** Module under `functions/` (without `.ts`) that exports `handler`. */
  readonly handler: string;
  /** @default - none */
  readonly description?: string;
  /**
   * Memory, and with it CPU share.
   * @default 512
   */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  /**
   * Variables to start with; later `addEnvironment` and `bindTable` calls merge into them.
   * @default {}
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Where Lambda puts an asynchronous invocation (a schedule's) once its
   * retries are spent. Functions invoked only synchronously (API Gateway)
   * have none: their caller gets the error.
   * @default - none
   */
  readonly deadLetterQueue?: IQueue;
  /**
   * X-Ray active tracing. Lambda records 5% of the invocations no upstream
   * sampled (API Gateway's HTTP APIs sample none), and that rate cannot be
   * changed: off is the only other choice.
   * @default true
   */
  readonly traced?: boolean;
}

export class AuthFunction extends Construct {
  readonly lambda: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  /** The `live` alias that keeps instances started, when `keepWarm` asked for one. */
  private live: Alias | undefined;
  private readonly environment = new Map<string, string>();

  constructor(scope: Construct, id: string, props: AuthFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Our own role instead of AWSLambdaBasicExecutionRole, which may write to every log group.
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(this.role);

    const shipsArgon2 = hashesPasswords(props.handler);
    this.lambda = new NodejsFunction(this, 'Function', {
      entry: `${projectRoot}${entryOf(props.handler)}`,
      projectRoot,
      depsLockFilePath: `${projectRoot}package-lock.json`,
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      // X-Ray active tracing, at Lambda's fixed sampling; off where the stack's `untraced` says.
      tracing: props.traced === false ? Tracing.DISABLED : Tracing.ACTIVE,
      deadLetterQueue: props.deadLetterQueue,
      bundling: {
        format: OutputFormat.ESM,
        target: bundleOptions.target,
        minify: bundleOptions.minify,
        sourceMap: bundleOptions.sourcemap,
        sourcesContent: bundleOptions.sourcesContent,
        mainFields: [...bundleOptions.mainFields],
        banner: bundleOptions.banner,
        externalModules: externalsOf(props.handler),
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir, outputDir) => [
            ...(shipsArgon2 ? copyNativeModulesCommands(inputDir, outputDir) : []),
            ...copyStaticFilesCommands(props.handler, inputDir, outputDir),
          ],
        },
      },
    });
    // The stack's name is the `service` dimension of the function's metrics: deployments of it stay apart.
    this.addEnvironment({ NODE_OPTIONS: '--enable-source-maps', [serviceVariable]: Stack.of(this).stackName, ...props.environment });
    if (!props.deadLetterQueue) {
      Validations.of(this.lambda).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously only (an API Gateway route or the authorizer): the caller gets the error, and Lambda sends nothing but asynchronous invocations to a dead-letter queue.',
      });
    }
    if (props.traced === false) {
      Validations.of(this.lambda).acknowledge({
        id: 'Serverless-LambdaTracing',
        reason: 'Untraced on purpose: the stack’s untraced setting names this function, to save what X-Ray charges for its traces.',
      });
    } else {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Active tracing grants xray:PutTraceSegments and xray:PutTelemetryRecords, which X-Ray accepts on no resource but "*"; nothing else of this role is a wildcard.',
      });
    }
  }

  /**
   * Adds variables to the function's environment. A name that is already set
   * must keep its value: two bindings that disagree are a bug, not an override.
   */
  addEnvironment(variables: Readonly<Record<string, string>>): this {
    for (const [name, value] of Object.entries(variables)) {
      const existing = this.environment.get(name);
      if (existing === value) continue;
      if (existing !== undefined) {
        throw new Error(`${this.node.path}: environment variable ${name} is already set to another value`);
      }
      this.environment.set(name, value);
      this.lambda.addEnvironment(name, value);
    }
    return this;
  }

  /** Tells the handler the table's name (its `envVar`) and grants the actions of `grant` on the table and its indexes. */
  bindTable(table: AuthTable, grant: TableGrant): this {
    this.addEnvironment({ [table.envVar]: table.tableName });
    this.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: iamActions(grant),
        resources: [table.tableArn, ...table.indexArns],
      }),
    );
    return this;
  }

  /**
   * Keeps `instances` execution environments started (provisioned
   * concurrency), on a `live` alias of the current version; `target` is then
   * the alias, which is what API Gateway must call for them to serve.
   */
  keepWarm(instances: number): Alias {
    if (!Number.isInteger(instances) || instances < 1)
      throw new Error(`${this.node.path}: provisioned concurrency must be a positive integer, got ${instances}`);
    this.live = new Alias(this, 'Live', {
      aliasName: 'live',
      version: this.lambda.currentVersion,
      provisionedConcurrentExecutions: instances,
    });
    return this.live;
  }

  /** What API Gateway invokes: the `live` alias when there is one, else the function. */
  get target(): IFunction {
    return this.live ?? this.lambda;
  }

  addToRolePolicy(statement: PolicyStatement): this {
    this.lambda.addToRolePolicy(statement);
    return this;
  }
}
