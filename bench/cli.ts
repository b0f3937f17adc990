/** What every benchmark script shares when it runs on its own: "am I the entry point", and its numeric arguments. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** True when the module at `moduleUrl` is the script Node was started with (not imported by the runner). */
export const isMain = (moduleUrl: string): boolean =>
  process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === moduleUrl;

/** The `index`-th command-line argument (0 = the first after the script) as a number, or `fallback`. */
export function numberArg(index: number, fallback: number): number {
  const text = process.argv.slice(2).filter((arg) => !arg.startsWith('--'))[index];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`Expected a positive number, got ${JSON.stringify(text)}`);
  return value;
}

/** Runs a script's main function; any failure is printed and ends the process with status 1. */
export function runMain(main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
