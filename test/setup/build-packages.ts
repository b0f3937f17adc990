/**
 * Vitest global setup: builds the installable packages (`npm run build`)
 * before any test runs, so that their tests load what `npm pack` would ship,
 * from a clean clone as well.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function buildPackages(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
}
