import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ModelCatalog, type ModelCatalogOptions, modelCatalogFileSchema } from './model-catalog';

/** The catalog shipped with llmq (`config/models.yaml` at the repository root). */
export const defaultModelCatalogPath = path.resolve(__dirname, '../../../../config/models.yaml');

/** A catalog file that cannot be used; the message names the file and the offending entry. */
export class ModelCatalogError extends Error {
  override readonly name = 'ModelCatalogError';
}

/** `models[3].pricing.input` from a zod issue path. */
function formatPath(issuePath: readonly PropertyKey[]): string {
  let text = '';
  for (const part of issuePath) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text || '(root)';
}

function describeIssues(source: string, error: z.ZodError, models: unknown): string {
  const lines = error.issues.slice(0, 10).map((issue) => {
    const [first, index] = issue.path;
    let where = formatPath(issue.path);
    // Name the entry too, so `models[3]` is findable without counting.
    if (first === 'models' && typeof index === 'number' && Array.isArray(models)) {
      const id = (models[index] as { id?: unknown } | undefined)?.id;
      if (typeof id === 'string') where += ` (model "${id}")`;
    }
    return `${where}: ${issue.message}`;
  });
  const more = error.issues.length > 10 ? ` (and ${error.issues.length - 10} more)` : '';
  return `invalid model catalog ${source}: ${lines.join('; ')}${more}`;
}

/** Parses and validates catalog YAML text. @throws ModelCatalogError naming the bad entry */
export function parseModelCatalog(
  text: string,
  options: ModelCatalogOptions & { source?: string } = {},
): ModelCatalog {
  const source = options.source ?? '(inline)';
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ModelCatalogError(
      `invalid model catalog ${source}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parsed = modelCatalogFileSchema.safeParse(document);
  if (!parsed.success) {
    const models = (document as { models?: unknown } | null)?.models;
    throw new ModelCatalogError(describeIssues(source, parsed.error, models));
  }
  return new ModelCatalog(parsed.data.models, {
    ...options,
    providerLimits: parsed.data.provider_limits,
  });
}

/**
 * Reads the catalog file (env `MODEL_CATALOG_PATH`, default {@link defaultModelCatalogPath}).
 * @throws ModelCatalogError when the file is missing or invalid: the process should stop.
 */
export function loadModelCatalog(
  filePath: string = defaultModelCatalogPath,
  options: ModelCatalogOptions = {},
): ModelCatalog {
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (error) {
    throw new ModelCatalogError(
      `cannot read model catalog ${filePath}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return parseModelCatalog(text, { ...options, source: filePath });
}
