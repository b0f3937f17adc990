// An app that installed both packages from their tarballs, as plain ESM: logs in with the client,
// checks the access token with the verifier, and passes it through the Express adapter.
import { createAuthClient } from '@serverless-auth/client';
import { createVerifier, express } from '@serverless-auth/verify';

const baseUrl = process.env.API_URL;
const events = [];
const client = createAuthClient({ baseUrl, autoRefresh: false });
client.onAuthStateChange((event) => events.push(event.type));
const tokens = await client.login({ email: 'manager@example.com', password: process.env.DEMO_PASSWORD });
const user = await client.me();

const verifier = createVerifier({ issuer: baseUrl });
const result = await verifier.verify(tokens.access_token);
const req = { headers: { authorization: `Bearer ${tokens.access_token}` } };
let passed = false;
await express(verifier).requirePermission('refunds:process')(req, {}, () => (passed = true));

await client.logout();
console.log(JSON.stringify({ email: user.email, valid: result.valid, role: req.auth?.role, passed, events }));
