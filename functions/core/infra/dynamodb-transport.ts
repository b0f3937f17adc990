/**
 * The wire under the DynamoDB client (dynamodb.ts): where DynamoDB is for a
 * region, and a POST over kept-alive connections with a time limit on each
 * attempt.
 */
import http from 'node:http';
import https from 'node:https';

/** Sends one request body and answers the response's status and body: the network, or a stub in a benchmark. */
export interface Transport {
  send(
    headers: Record<string, string>,
    body: string,
  ): Promise<{ status: number; body: string; headers?: Readonly<Record<string, string | undefined>> }>;
  /** Closes kept-alive connections, so that a command-line process can exit. */
  destroy?(): void;
}

/**
 * DynamoDB's endpoint in AWS for a region, as the SDK's rules give it for the
 * settings a deployment may carry: `AWS_ENDPOINT_URL_DYNAMODB` (or
 * `AWS_ENDPOINT_URL`) names one outright; `AWS_USE_FIPS_ENDPOINT=true` asks
 * for the FIPS endpoint (in GovCloud the regional endpoint is the FIPS one);
 * the partitions outside the commercial one have DNS suffixes of their own.
 */
export function awsEndpoint(region: string, env: Record<string, string | undefined> = process.env): string {
  const named = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  if (named) return named;
  const suffix = PARTITIONS.find(([pattern]) => pattern.test(region))?.[1] ?? 'amazonaws.com';
  const fips = env.AWS_USE_FIPS_ENDPOINT?.toLowerCase() === 'true' && !region.startsWith('us-gov-');
  return `https://dynamodb${fips ? '-fips' : ''}.${region}.${suffix}`;
}

/** The DNS suffix of each AWS partition but the commercial one, by region name (the SDK's partitions). */
const PARTITIONS: readonly (readonly [RegExp, string])[] = [
  [/^cn-/, 'amazonaws.com.cn'],
  [/^eusc-/, 'amazonaws.eu'],
  [/^us-iso-/, 'c2s.ic.gov'],
  [/^us-isob-/, 'sc2s.sgov.gov'],
  [/^eu-isoe-/, 'cloud.adc-e.uk'],
  [/^us-isof-/, 'csp.hci.ic.gov'],
];

/** What the SDK throws when an attempt runs out of time. */
const timeoutError = (what: string, ms: number): Error =>
  Object.assign(new Error(`DynamoDB ${what} exceeded ${ms} ms`), { name: 'TimeoutError', code: 'ETIMEDOUT' });

export /** POSTs over kept-alive connections, each attempt bounded in connecting and in all. */
function nodeTransport(url: URL, timeouts: { connectionMs: number; requestMs: number }): Transport {
  const plain = url.protocol === 'http:';
  const agent = new (plain ? http : https).Agent({ keepAlive: true });
  const request = plain ? http.request : https.request;
  const send: Transport['send'] = (headers, body) =>
    new Promise((resolve, reject) => {
      const req = request({ hostname: url.hostname, port: url.port || undefined, path: '/', method: 'POST', headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          clearTimeout(timer);
          const errorType = res.headers['x-amzn-errortype'];
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: { 'x-amzn-errortype': Array.isArray(errorType) ? errorType[0] : errorType },
          });
        });
        res.on('error', fail);
      });
      function fail(error: Error) {
        clearTimeout(timer);
        reject(error);
      }
      const timer = setTimeout(() => req.destroy(timeoutError('request', timeouts.requestMs)), timeouts.requestMs);
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const connecting = setTimeout(() => req.destroy(timeoutError('connection', timeouts.connectionMs)), timeouts.connectionMs);
        socket.once('connect', () => clearTimeout(connecting));
        socket.once('close', () => clearTimeout(connecting));
      });
      req.on('error', fail);
      req.end(body);
    });
  return { send, destroy: () => agent.destroy() };
}
