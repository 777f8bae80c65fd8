import type { BatchInputError } from './openai-batch';
import type { BatchLine } from './simulated-batch';

/**
 * The lines of a batch input file (`{custom_id, method: "POST", url, body}` per line), or
 * every problem found, with its 1-based line number, as OpenAI's batch validation lists them.
 */
export function parseOpenAiBatchInput(
  content: string,
  endpoint: string,
  maxLines: number,
): { ok: true; lines: BatchLine[] } | { ok: false; errors: BatchInputError[] } {
  const lines: BatchLine[] = [];
  const errors: BatchInputError[] = [];
  const seen = new Set<string>();
  const texts = content.split('\n');
  for (let index = 0; index < texts.length && errors.length < 100; index += 1) {
    const text = (texts[index] as string).trim();
    if (text.length === 0) continue;
    const lineNumber = index + 1;
    const fail = (code: string, message: string, param: string | null = null) =>
      errors.push({ code, message, param, line: lineNumber });
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      fail('invalid_json_line', `This line is not parseable as valid JSON.`);
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      fail('invalid_request', 'Each line must be a JSON object.');
      continue;
    }
    const line = value as Record<string, unknown>;
    const unknown = Object.keys(line).find(
      (key) => !['custom_id', 'method', 'url', 'body'].includes(key),
    );
    if (unknown !== undefined) fail('invalid_request', `Unrecognized field: ${unknown}`, unknown);
    else if (typeof line.custom_id !== 'string' || line.custom_id.length === 0)
      fail('missing_required_parameter', "Missing required parameter: 'custom_id'.", 'custom_id');
    else if (seen.has(line.custom_id))
      fail(
        'duplicate_custom_id',
        `The custom_id for this request is a duplicate of another request.`,
        'custom_id',
      );
    else if (line.method !== 'POST') fail('invalid_method', "The method must be 'POST'.", 'method');
    else if (line.url !== endpoint)
      fail(
        'mismatched_endpoint',
        `The URL provided for this request does not match the batch endpoint (${endpoint}).`,
        'url',
      );
    else if (typeof line.body !== 'object' || line.body === null || Array.isArray(line.body))
      fail('missing_required_parameter', "Missing required parameter: 'body'.", 'body');
    else {
      seen.add(line.custom_id);
      lines.push({ customId: line.custom_id, body: line.body });
    }
  }
  if (errors.length === 0 && lines.length === 0)
    errors.push({
      code: 'empty_file',
      message: 'The batch input file is empty.',
      param: null,
      line: null,
    });
  if (errors.length === 0 && lines.length > maxLines) {
    errors.push({
      code: 'too_many_requests',
      message: `The batch input file has ${lines.length} requests; the limit is ${maxLines}.`,
      param: null,
      line: null,
    });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, lines };
}
