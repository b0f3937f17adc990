/**
 * Named stages: cdk.json's `context.stages` maps a stage's name to the
 * context values it deploys with, e.g. `{ "prod": { "logRetentionDays": 365 } }`.
 */

export interface Stage {
  readonly name: string;
  readonly settings: Readonly<Record<string, unknown>>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The stage `-c stage=NAME` picks, or `undefined` without one; an unknown name is an error that lists the known ones. */
export function stageNamed(name: unknown, stages: unknown): Stage | undefined {
  if (name === undefined || name === null || name === '') return undefined;
  const known = isRecord(stages) ? stages : {};
  const settings = known[String(name)];
  if (!isRecord(settings)) {
    throw new Error(`Unknown stage ${String(name)}: cdk.json's context.stages names ${Object.keys(known).join(', ') || 'none'}`);
  }
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(String(name))) {
    throw new Error(`Stage name ${String(name)} must be letters, digits and hyphens, starting with a letter (it ends the stack's name)`);
  }
  return { name: String(name), settings };
}
