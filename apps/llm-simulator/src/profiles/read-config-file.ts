import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { SimulatorConfigPatch } from '../server/simulator-state';
import { simulatorConfigSchema } from './model-profile';

/**
 * The `{models: {...}}` JSON file named by `SIMULATOR_CONFIG`.
 * @throws Error naming the variable and the file when it cannot be read or is invalid.
 */
export function readConfigFile(path: string): SimulatorConfigPatch {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`SIMULATOR_CONFIG: cannot read ${path}: ${reason}`);
  }
  const parsed = simulatorConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`SIMULATOR_CONFIG: invalid ${path}: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
