/**
 * `npm run admin -- <command> [flags]`: the DevOps tool that creates a
 * tenant's first manager and helps with accounts, against the local server's
 * tables (`--local`, while `npm run dev` runs) or the deployed ones.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { logger } from '../functions/core/infra/logger.ts';
import { runAdmin, AdminUsageError, adminUsage } from '../local/admin.ts';

// Audit lines still go to the audit table; the terminal shows warnings and the command's answer.
logger.setLogLevel('WARN');

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    strict: true,
    options: {
      tenant: { type: 'string' },
      role: { type: 'string' },
      email: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      id: { type: 'string' },
      status: { type: 'string' },
      local: { type: 'boolean' },
      outputs: { type: 'string' },
      stack: { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(adminUsage);
    return;
  }
  // `npm run` starts us in the project folder; a relative path means where the command was typed.
  const outputsFile = values.outputs ? resolve(process.env.INIT_CWD ?? process.cwd(), values.outputs) : undefined;
  const outputs = outputsFile ? JSON.parse(await readFile(outputsFile, 'utf8')) : undefined;
  const lines = await runAdmin(positionals, { ...values, outputs });
  for (const line of lines) console.log(line);
}

main().catch((error: unknown) => {
  if (error instanceof AdminUsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`${(error as Error).message}\n\n${adminUsage}`);
    process.exit(2);
  }
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
