/**
 * The SES mailer against the local SES server, with a recorder in between
 * that keeps each request's form as SES received it: every email names the
 * configuration set, and the local server takes it as SES would.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sesMailer } from '../../functions/core/infra/mail.ts';
import { startSes, type LocalSes } from '../../local/ses.ts';

let ses: LocalSes;
let recorder: Server;
let recorderUrl: string;
const forms: URLSearchParams[] = [];

beforeAll(async () => {
  ses = await startSes(0);
  const target = new URL(ses.url);
  // Passes every request on to the local SES server unchanged, and keeps its body.
  recorder = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      forms.push(new URLSearchParams(body.toString('utf8')));
      const forward = request(
        { host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
});
afterAll(async () => {
  recorder.closeAllConnections();
  await new Promise<void>((resolve) => recorder.close(() => resolve()));
  await ses.close();
});

const message = { to: 'someone@example.com', subject: 'Hello', text: 'Hello\n', html: '<p>Hello</p>' };
const stored = async () => ((await (await fetch(`${ses.url}/store`)).json()) as { emails: { subject: string }[] }).emails;

describe('sesMailer', () => {
  it('sends every email through the configuration set it is given, and SES (local) accepts it', async () => {
    forms.length = 0;
    const mailer = sesMailer({ from: 'no-reply@auth.example.com', configurationSet: 'ServerlessAuth-Mail', endpoint: recorderUrl });

    await mailer.send(message);

    expect(forms).toHaveLength(1);
    expect(Object.fromEntries(forms[0] ?? [])).toMatchObject({
      Action: 'SendEmail',
      ConfigurationSetName: 'ServerlessAuth-Mail',
      Source: 'no-reply@auth.example.com',
      'Destination.ToAddresses.member.1': 'someone@example.com',
    });
    expect((await stored()).at(-1)?.subject).toBe('Hello');
  });

  it('names no configuration set when it is given none (the local server)', async () => {
    forms.length = 0;
    const mailer = sesMailer({ from: 'no-reply@example.com', endpoint: recorderUrl });

    await mailer.send({ ...message, subject: 'Without a set' });

    expect(forms[0]?.has('ConfigurationSetName')).toBe(false);
    expect((await stored()).at(-1)?.subject).toBe('Without a set');
  });
});
