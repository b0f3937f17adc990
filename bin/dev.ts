/**
 * `npm run dev`: checks the Node.js version first, since older versions crash
 * (a segfault, not a message) inside the embedded database, then starts the
 * server. Nothing else is imported before the check.
 */
import { nodeVersionProblem } from './node-version.ts';

const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  console.error(problem);
  process.exit(1);
}
await import('./dev-server.ts');
