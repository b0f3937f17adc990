/**
 * A DynamoDB client for the five calls the domain makes, in the document
 * shapes of `@aws-sdk/lib-dynamodb` (plain values in, plain values out). Each
 * call is one signed JSON POST over a kept-alive connection.
 *
 * Why not the AWS SDK's client: on a refresh or an authorizer decision, the
 * SDK's work around each call (resolving its middleware, endpoint rules and
 * schemas, user agent, retry bookkeeping) took 150–300 µs of CPU, more than
 * everything else but the RS256 signature; this client takes about 25 µs for
 * the same call. What the SDK does that matters here is kept: the SDK's
 * credential chain, three attempts with its backoff for throttles, 5xx and
 * network faults, a timeout per attempt, and errors named and shaped as the
 * SDK names and shapes them (`name`, `$fault`, `$metadata`). Binary
 * attributes (`B`, `BS`) are not supported: the tables hold none.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DeleteCommandInput, GetCommandInput, PutCommandInput, QueryCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { awsEndpoint, nodeTransport, type Transport } from './dynamodb-transport.ts';
import { signRequest, type Credentials } from './sigv4.ts';
import { isThrottle, isTransient } from './transient.ts';

export type Item = Record<string, unknown>;

/** What each operation takes and answers. */
export interface Operations {
  GetItem: { input: GetCommandInput; output: { Item?: Item } };
  PutItem: { input: PutCommandInput; output: { Attributes?: Item } };
  UpdateItem: { input: UpdateCommandInput; output: { Attributes?: Item } };
  DeleteItem: { input: DeleteCommandInput; output: { Attributes?: Item } };
  Query: { input: QueryCommandInput; output: { Items: Item[]; Count: number; LastEvaluatedKey?: Item } };
}
export type Operation = keyof Operations;

/** One call as a hook sees it: the operation and the input the domain gave (before marshalling). */
export interface DbCall {
  readonly operation: Operation;
  readonly input: Readonly<Record<string, unknown>>;
}

/**
 * Runs around each call, outside its retries: the local server's grants, and
 * the tests' watch over what the domain sends (test/fixtures/db-faults.ts).
 */
export type DbHook = (call: DbCall, next: () => Promise<unknown>) => Promise<unknown>;

export interface DynamoDbOptions {
  readonly region: string;
  /** A local engine such as dynalite; unset in AWS. */
  readonly endpoint?: string;
  readonly credentials?: () => Promise<Credentials>;
  /** Each attempt's limits: a stalled call must fail well inside the Lambda timeout, as a 503, not a timeout. */
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly maxAttempts?: number;
  /** Told of each throttled attempt, retries included, so throttles a retry cured still show. */
  readonly onThrottle?: () => void;
  readonly transport?: Transport;
}

/** The field names whose values are items or keys, in requests and in answers. */
const MARSHALLED_INPUT = ['Key', 'Item', 'ExpressionAttributeValues', 'ExclusiveStartKey'] as const;
const MARSHALLED_OUTPUT = ['Item', 'Attributes', 'LastEvaluatedKey'] as const;

/** An error DynamoDB answered, named by its type (`ConditionalCheckFailedException`…), as the SDK names it. */
export class DynamoDbError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; attempts: number; totalRetryDelay: number };

  constructor(name: string, message: string, status: number) {
    super(message);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, attempts: 1, totalRetryDelay: 0 };
  }
}

export class DynamoDb {
  readonly #hooks = new Map<string, DbHook>();
  readonly #region: string;
  readonly #host: string;
  readonly #credentials: () => Promise<Credentials>;
  readonly #maxAttempts: number;
  readonly #onThrottle: (() => void) | undefined;
  readonly #transport: Transport;

  constructor(options: DynamoDbOptions) {
    const url = new URL(options.endpoint ?? awsEndpoint(options.region));
    this.#region = options.region;
    this.#host = url.host;
    this.#credentials =
      options.credentials ??
      (options.endpoint !== undefined ? async () => ({ accessKeyId: 'local', secretAccessKey: 'local' }) : defaultProvider());
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#onThrottle = options.onThrottle;
    this.#transport =
      options.transport ??
      nodeTransport(url, { connectionMs: options.connectionTimeoutMs ?? 1000, requestMs: options.requestTimeoutMs ?? 2000 });
  }

  get(input: GetCommandInput): Promise<Operations['GetItem']['output']> {
    return this.#call('GetItem', input);
  }
  put(input: PutCommandInput): Promise<Operations['PutItem']['output']> {
    return this.#call('PutItem', input);
  }
  update(input: UpdateCommandInput): Promise<Operations['UpdateItem']['output']> {
    return this.#call('UpdateItem', input);
  }
  delete(input: DeleteCommandInput): Promise<Operations['DeleteItem']['output']> {
    return this.#call('DeleteItem', input);
  }
  query(input: QueryCommandInput): Promise<Operations['Query']['output']> {
    return this.#call('Query', input);
  }

  /** Adds (or, under the same name, replaces) a hook; the first added runs outermost. */
  addHook(name: string, hook: DbHook): void {
    this.#hooks.set(name, hook);
  }
  removeHook(name: string): void {
    this.#hooks.delete(name);
  }

  destroy(): void {
    this.#transport.destroy?.();
  }

  async #call<O extends Operation>(operation: O, input: Operations[O]['input']): Promise<Operations[O]['output']> {
    const send = () => this.#withRetries(operation, input as Record<string, unknown>);
    if (this.#hooks.size === 0) return (await send()) as Operations[O]['output'];
    const call: DbCall = { operation, input: input as Record<string, unknown> };
    const hooks = [...this.#hooks.values()];
    const run = (index: number): Promise<unknown> => (index === hooks.length ? send() : hooks[index]!(call, () => run(index + 1)));
    return (await run(0)) as Operations[O]['output'];
  }

  async #withRetries(operation: Operation, input: Record<string, unknown>): Promise<Item> {
    const body = JSON.stringify(marshallInput(input));
    let totalRetryDelay = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return unmarshallOutput(await this.#attempt(operation, body));
      } catch (error) {
        const throttled = isThrottle(error);
        if (throttled) this.#onThrottle?.();
        if (error instanceof DynamoDbError) Object.assign(error.$metadata, { attempts: attempt, totalRetryDelay });
        if (attempt >= this.#maxAttempts || !isTransient(error)) throw error;
        // The SDK's standard backoff: full jitter over an exponential ceiling, wider for throttles.
        const delay = Math.floor(Math.random() * Math.min(20_000, 2 ** attempt * (throttled ? 500 : 100)));
        totalRetryDelay += delay;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async #attempt(operation: Operation, body: string): Promise<Item> {
    const headers = signRequest({
      host: this.#host,
      region: this.#region,
      service: 'dynamodb',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` },
      body,
      credentials: await this.#credentials(),
      now: new Date(),
    });
    const response = await this.#transport.send(headers, body);
    let parsed: Record<string, unknown> = {};
    try {
      if (response.body) parsed = JSON.parse(response.body) as Record<string, unknown>;
    } catch {
      // A proxy's HTML page or an edge's plain text: judged by its status (a 502 is retried), never a parse error.
      if (response.status === 200) throw new DynamoDbError('DeserializationError', 'DynamoDB answered a body that is not JSON', 200);
    }
    if (response.status === 200) return parsed;
    const message = String(parsed.message ?? parsed.Message ?? `DynamoDB answered ${response.status}`);
    throw new DynamoDbError(errorName(response, parsed), message, response.status);
  }
}

function marshallInput(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input };
  for (const field of MARSHALLED_INPUT) {
    const value = input[field];
    if (value !== undefined) out[field] = marshall(value as Item, { removeUndefinedValues: true });
  }
  return out;
}

function unmarshallOutput(output: Record<string, unknown>): Item {
  const out: Record<string, unknown> = { ...output };
  for (const field of MARSHALLED_OUTPUT) {
    if (output[field] !== undefined) out[field] = unmarshall(output[field] as never);
  }
  if (Array.isArray(output.Items)) out.Items = output.Items.map((item) => unmarshall(item as never));
  return out;
}

/**
 * An error's type as the SDK reads it: the `x-amzn-errortype` header, else the
 * body's `__type` or `code`, without a namespace (`…#`) or a suffix (`:…`).
 */
function errorName(
  response: { status: number; headers?: Readonly<Record<string, string | undefined>> },
  body: Record<string, unknown>,
): string {
  const raw = response.headers?.['x-amzn-errortype'] ?? body.__type ?? body.code;
  if (typeof raw !== 'string' || raw === '') return `Http${response.status}`;
  const name = raw.split(',')[0]!.split(':')[0]!;
  return name.slice(name.lastIndexOf('#') + 1);
}
