/**
 * The child process of `startServerProcess` (bench/local.ts): the local server
 * with benchmark settings, a pool of users made with the domain's own
 * `createUser`, and a count of the requests it answered.
 *
 *   node --import tsx bench/server-process.ts <pool size>
 */
import { deps } from '../functions/core/deps.ts';
import { hashPassword } from '../functions/core/crypto/passwords.ts';
import { createUser } from '../functions/core/records/users.ts';
import { POOL_PASSWORD, startBenchLocal, type FromServer, type PoolUser, type ServedCounts, type ToServer } from './local.ts';

const send = (message: FromServer) => process.send?.(message);

const counts: ServedCounts = {};
const local = await startBenchLocal({
  // The gateway calls this once per answered request.
  log: (line) => {
    const [method, url, status] = line.split(' ');
    const route = `${method} ${new URL(url ?? '/', 'http://localhost').pathname}`;
    counts[route] ??= {};
    const byStatus = counts[route];
    byStatus[status ?? '?'] = (byStatus[status ?? '?'] ?? 0) + 1;
  },
});

const users: PoolUser[] = [];
const passwordHash = await hashPassword(POOL_PASSWORD);
const size = Number(process.argv[2] ?? 0);
for (let i = 0; i < size; i++) {
  const email = `pool-${i}@bench.example.com`;
  const created = await createUser(deps(), { tenantId: 'bench', role: 'CASHIER', email, username: null, passwordHash, createdBy: null });
  if (created.kind !== 'created') throw new Error(`pool user ${email}: ${created.field} taken`);
  users.push({ id: created.user.id, email });
}

process.on('message', async (message: ToServer) => {
  if (message.type === 'served') send({ type: 'served', id: message.id, counts });
  if (message.type === 'close') {
    await local.close();
    send({ type: 'closed', id: message.id });
    process.exit(0);
  }
});
// Never outlive the benchmark that started it.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', url: local.url, sesUrl: local.sesUrl, dynamoEndpoint: local.dynamoEndpoint, env: { ...local.env }, users });
