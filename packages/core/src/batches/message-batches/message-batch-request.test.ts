import { loadModelCatalog } from '../../catalog/load-model-catalog';
import { isClientError } from '../../errors/client-error';
import { parseBatchLine, readValidatedBatchLine } from '../parse-batch-line';
import {
  createMessageBatchRequestSchema,
  messageBatchLimitsOf,
  readMessageBatchRequests,
} from './message-batch-request';

const catalog = loadModelCatalog(undefined, {
  availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
});
const limits = { maxRequests: 3, maxBodyBytes: 1024 };

function params(fields: Record<string, unknown> = {}) {
  return {
    model: 'sim-claude-fast',
    max_tokens: 16,
    messages: [{ role: 'user', content: 'hi' }],
    ...fields,
  };
}

/** The ClientError's message a body is refused with (the test fails when it is accepted). */
async function refusal(body: unknown): Promise<string> {
  const error = await readMessageBatchRequests(body, { catalog, limits }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (error === undefined) throw new Error('the body was accepted');
  if (!isClientError(error)) throw error;
  expect([error.status, error.code]).toEqual([400, 'invalid_request']);
  return error.message;
}

/** {@link refusal} of a body holding these requests. */
function refusalOf(requests: unknown[]): Promise<string> {
  return refusal({ requests });
}

test('valid requests become batch input lines targeting /v1/messages, read back as Anthropic chat lines', async () => {
  const tools = [{ name: 'get_weather', input_schema: { type: 'object', properties: {} } }];
  const lines = await readMessageBatchRequests(
    { requests: [{ custom_id: 'a_1', params: params({ tools, system: 'Be brief.' }) }] },
    { catalog, limits },
  );
  expect(lines.map((line) => JSON.parse(line))).toEqual([
    {
      custom_id: 'a_1',
      method: 'POST',
      url: '/v1/messages',
      body: params({ tools, system: 'Be brief.' }),
    },
  ]);
  const context = { endpoint: '/v1/messages' as const, catalog, defaultModel: '' };
  const read = readValidatedBatchLine(lines[0] ?? '', context);
  expect(read).toEqual({
    customId: 'a_1',
    model: 'sim-claude-fast',
    endpoint: '/v1/messages',
    request: {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
      maxTokens: 16,
      tools: [{ name: 'get_weather', parameters: { type: 'object', properties: {} } }],
    },
  });
  // Ingestion validates the stored line again, to the same result.
  const parsed = parseBatchLine(lines[0] ?? '', { ...context, seenCustomIds: new Set() });
  expect(parsed).toEqual({ ok: true, line: read });
});

test('a bad request is refused naming its index and field', async () => {
  expect(
    await refusalOf([
      { custom_id: 'a', params: params() },
      { custom_id: 'b', params: params({ max_tokens: 0 }) },
    ]),
  ).toMatch(/^requests\.1\.params\.max_tokens: /);
  expect(await refusalOf([{ custom_id: 'a', params: params({ messages: 'hi' }) }])).toMatch(
    /^requests\.0\.params\.messages: /,
  );
  expect(await refusalOf([{ custom_id: 'a', params: params({ stream: true }) }])).toMatch(
    /^requests\.0\.params\.stream: .*never streamed/,
  );
  expect(await refusalOf([{ custom_id: 'a', params: params({ service_tier: 'auto' }) }])).toMatch(
    /^requests\.0\.params\.service_tier: /,
  );
  expect(await refusalOf([{ custom_id: 'a', params: params({ model: 'nope' }) }])).toMatch(
    /^requests\.0\.params\.model: .*"nope" is not in the catalog/,
  );
  expect(
    await refusalOf([{ custom_id: 'a', params: params({ model: 'sim-embed-small' }) }]),
  ).toMatch(/^requests\.0\.params\.model: .*does not serve/);
});

test('custom_id follows Anthropic: 1 to 64 of [a-zA-Z0-9_-], unique in the batch', async () => {
  expect(await refusalOf([{ custom_id: 'a b', params: params() }])).toMatch(
    /^requests\.0\.custom_id: /,
  );
  expect(await refusalOf([{ custom_id: '', params: params() }])).toMatch(
    /^requests\.0\.custom_id: /,
  );
  expect(await refusalOf([{ custom_id: 'x'.repeat(65), params: params() }])).toMatch(
    /^requests\.0\.custom_id: /,
  );
  expect(
    await refusalOf([
      { custom_id: 'same', params: params() },
      { custom_id: 'other', params: params() },
      { custom_id: 'same', params: params() },
    ]),
  ).toMatch(/^requests\.2\.custom_id: .*more than once/);
  const longest = 'A-z_9'.repeat(12).concat('abcd');
  expect(longest).toHaveLength(64);
  expect(
    await readMessageBatchRequests(
      { requests: [{ custom_id: longest, params: params() }] },
      { catalog, limits },
    ),
  ).toHaveLength(1);
});

test('a batch holds at most maxRequests requests, and at least one', async () => {
  const requests = Array.from({ length: 4 }, (_, index) => ({
    custom_id: `r${index}`,
    params: params(),
  }));
  expect(await refusalOf(requests)).toMatch(/at most 3 requests; this one has 4/);
  expect(await refusal({ requests: [] })).toMatch(/requests/);
  expect(await refusal({ requests: [{ custom_id: 'a', params: params() }], extra: 1 })).toMatch(
    /extra|unrecognized/i,
  );
  expect(await refusalOf([{ custom_id: 'a' }])).toMatch(/^requests\.0\.params: /);
  expect(await refusalOf([{ custom_id: 'a', params: params(), more: 1 }])).toMatch(
    /^requests\.0: /,
  );
  // The documented schema says the same.
  expect(createMessageBatchRequestSchema.safeParse({ requests: [] }).success).toBe(false);
});

test("the limits are Anthropic's, or llmq's batch limits when lower", () => {
  expect(messageBatchLimitsOf({ maxLines: 200_000, maxFileBytes: 500 * 1024 * 1024 })).toEqual({
    maxRequests: 100_000,
    maxBodyBytes: 256 * 1024 * 1024,
  });
  expect(messageBatchLimitsOf({ maxLines: 10, maxFileBytes: 1000 })).toEqual({
    maxRequests: 10,
    maxBodyBytes: 1000,
  });
});
