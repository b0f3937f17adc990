// The same app in TypeScript: it must type-check against the packages' own .d.ts (no zod, no server code).
import { createAuthClient, type AuthEvent, type User } from '@serverless-auth/client';
import { createVerifier, type Principal } from '@serverless-auth/verify';

const baseUrl = process.env.API_URL ?? 'http://localhost:3000';
const events: AuthEvent['type'][] = [];
const client = createAuthClient({ baseUrl, autoRefresh: false });
client.onAuthStateChange((event) => events.push(event.type));
const tokens = await client.login({ email: 'manager@example.com', password: process.env.DEMO_PASSWORD ?? '' });
const user: User = await client.me();

const result = await createVerifier({ issuer: baseUrl }).verify(tokens.access_token);
const principal: Principal | null = result.valid ? result.principal : null;

await client.logout();
console.log(
  JSON.stringify({
    email: user.email,
    role: principal?.role ?? null,
    refunds: principal?.permissions.includes('refunds:process') ?? false,
    events,
  }),
);
