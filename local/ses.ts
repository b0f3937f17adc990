/** The local SES server: a page of the mail sent, and `GET /store` for tests. */
import type { AddressInfo } from 'node:net';
import sesModule from 'aws-ses-v2-local';

type StartSes = typeof sesModule.default;
// A CommonJS module: Node hands over `module.exports`, some loaders its `default`.
const sesServer: StartSes = typeof sesModule === 'function' ? (sesModule as unknown as StartSes) : sesModule.default;

export interface LocalSes {
  readonly url: string;
  close(): Promise<void>;
}

export async function startSes(port: number): Promise<LocalSes> {
  const server = await sesServer({ host: '127.0.0.1', port });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
