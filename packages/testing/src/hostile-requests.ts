import { randomBytes } from 'node:crypto';

/**
 * A fixed set of hostile request bodies for every `POST` route, shared by the CI test
 * (`test/e2e/hostile-input.test.ts`) and the full-size bench (`bench/hostile-input.mjs`):
 * long runs of one character and of short patterns (what made BPE quadratic), random base64,
 * deep nesting, thousands of parts and stop strings, and inputs crafted against each filter
 * detector. Bodies are built as strings: serialising a 100,000-deep value would overflow the
 * sender's own stack.
 */
export interface HostileRequest {
  /** What the body is, for reports: `<route> <input>`. */
  name: string;
  path: string;
  /** The body as sent. */
  body: string | FormData;
  /** `Content-Type` to send (a `FormData` body sets its own). */
  contentType?: string;
}

export interface HostileSizes {
  /** Characters of each run and pattern (CI 100,000; bench 190,000, under the input filter's 200,000). */
  runLength: number;
  /** Bytes of random data, base64-encoded, one body each (CI 100 KB and 300 KB; bench up to 900 KB). */
  base64Bytes: number[];
  /** Depth of the nested arrays and objects. */
  depth: number;
  /** Content parts, messages and stop strings in one request. */
  parts: number;
}

export const ciHostileSizes: HostileSizes = {
  runLength: 100_000,
  base64Bytes: [100_000, 300_000],
  depth: 50_000,
  parts: 5_000,
};

export const fullHostileSizes: HostileSizes = {
  runLength: 190_000,
  base64Bytes: [100_000, 300_000, 600_000, 700_000],
  depth: 200_000,
  parts: 20_000,
};

/** One character repeated: each a different letter or class, so no tokenizer cache helps. */
const runCharacters = ['y', 'q', 'ä', ' ', '\n', '!', '0', '中', '😀'];

/** Short patterns, several aimed at one filter detector each (named in the comment). */
const patterns = [
  'ab',
  'abc ',
  'eyJ-', // secret: a JWT start inside one token run
  'eyJaaaaaaaaaaaa.bbb ', // secret: JWT segments that never complete
  '-----BEGIN A-----END A', // secret: PEM headers
  'sk-aaaaaaaaaaaaaaa ', // secret: a key one character short
  'a@', // email: an @ per two characters
  'x@a.a.a.a.a.1 ', // email: dotted domains that end badly
  '+1 ', // phone
  '+111111111111111111 ', // phone: digit runs around a +
  '1 ', // credit card: digit groups
  'DE89 ', // IBAN
  'ignore all ', // prompt injection
  'reveal system ', // prompt injection
  '忽略之前', // prompt injection (Chinese)
];

const repeatTo = (piece: string, length: number): string =>
  piece.repeat(Math.ceil(length / piece.length)).slice(0, length);

/** The texts every text-taking route receives. */
function hostileTexts(sizes: HostileSizes): Array<{ name: string; text: string }> {
  return [
    ...runCharacters.map((character) => ({
      name: `run of ${JSON.stringify(character)}`,
      text: repeatTo(character, sizes.runLength),
    })),
    ...patterns.map((pattern) => ({
      name: `pattern ${JSON.stringify(pattern)}`,
      text: repeatTo(pattern, sizes.runLength),
    })),
    ...sizes.base64Bytes.map((bytes) => ({
      name: `base64 of ${Math.round(bytes / 1000)} KB`,
      text: randomBytes(bytes).toString('base64'),
    })),
  ];
}

const json = (value: unknown) => JSON.stringify(value);

/** Every POST route with `text` where it takes text. */
function textRequests(name: string, text: string): HostileRequest[] {
  const user = [{ role: 'user', content: text }];
  return [
    { path: '/v1/jobs', body: json({ model: 'sim-gpt-fast', prompt: text }) },
    { path: '/v1/jobs', body: json({ model: 'auto', messages: user }) },
    { path: '/v1/chat/completions', body: json({ model: 'sim-gpt-fast', messages: user }) },
    {
      path: '/v1/messages',
      body: json({ model: 'sim-claude-fast', max_tokens: 16, messages: user }),
    },
    { path: '/v1/estimate', body: json({ model: 'auto', prompt: text }) },
    {
      path: '/v1/batches',
      body: json({
        input_file_id: text.slice(0, 10_000),
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        metadata: { note: text.slice(0, 512) },
      }),
    },
    { path: '/v1/webhook-endpoints', body: json({ url: `https://example.com/${text}` }) },
    { path: '/v1/files', body: batchFile(text) },
  ].map((request) => ({
    ...request,
    name: `${request.path} ${name}`,
    ...(typeof request.body === 'string' ? { contentType: 'application/json' } : {}),
  }));
}

function batchFile(text: string): FormData {
  const line = json({
    custom_id: 'line-1',
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'sim-gpt-fast', messages: [{ role: 'user', content: text }] },
  });
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([`${line}\n`], { type: 'application/jsonl' }), 'hostile.jsonl');
  return form;
}

/** Structural attacks: nesting, many parts, many stop strings, on the routes that parse them. */
function structuralRequests(sizes: HostileSizes): HostileRequest[] {
  const arrays = `${'['.repeat(sizes.depth)}${']'.repeat(sizes.depth)}`;
  const objects = `${'{"a":'.repeat(sizes.depth)}1${'}'.repeat(sizes.depth)}`;
  const part = json({ type: 'text', text: 'x' });
  const parts = `[${Array.from({ length: sizes.parts }, () => part).join(',')}]`;
  const stops = json(Array.from({ length: sizes.parts }, (_, index) => `stop-${index}`));
  const manyMessages = json(
    Array.from({ length: sizes.parts }, (_, index) => ({
      role: index % 2 ? 'assistant' : 'user',
      content: 'x',
    })),
  );
  const routes = ['/v1/jobs', '/v1/chat/completions', '/v1/messages', '/v1/estimate'];
  const requests: HostileRequest[] = [];
  for (const path of routes) {
    requests.push(
      { name: `${path} nested arrays`, path, body: arrays },
      { name: `${path} nested objects`, path, body: objects },
      {
        name: `${path} nested metadata`,
        path,
        body: `{"model":"sim-gpt-fast","prompt":"x","metadata":${objects}}`,
      },
      {
        name: `${path} ${sizes.parts} content parts`,
        path,
        body: `{"model":"sim-gpt-fast","max_tokens":16,"messages":[{"role":"user","content":${parts}}]}`,
      },
      {
        name: `${path} ${sizes.parts} messages`,
        path,
        body: `{"model":"sim-gpt-fast","max_tokens":16,"messages":${manyMessages}}`,
      },
      {
        name: `${path} ${sizes.parts} stop strings`,
        path,
        body: `{"model":"sim-gpt-fast","max_tokens":16,"stop":${stops},"stop_sequences":${stops},"messages":[{"role":"user","content":"hi"}]}`,
      },
    );
  }
  // Fields that take any JSON (a tool's schema) reach code that walks them.
  const hi = '"messages":[{"role":"user","content":"hi"}]';
  requests.push(
    {
      name: '/v1/chat/completions nested tool parameters',
      path: '/v1/chat/completions',
      body: `{"model":"sim-gpt-fast","max_tokens":16,${hi},"tools":[{"type":"function","function":{"name":"f","parameters":${objects}}}]}`,
    },
    {
      name: '/v1/jobs nested tool parameters',
      path: '/v1/jobs',
      body: `{"model":"sim-gpt-fast","max_tokens":16,${hi},"tools":[{"type":"function","function":{"name":"f","parameters":${objects}}}]}`,
    },
    {
      name: '/v1/messages nested tool input_schema',
      path: '/v1/messages',
      body: `{"model":"sim-claude-fast","max_tokens":16,${hi},"tools":[{"name":"f","input_schema":${objects}}]}`,
    },
    {
      name: '/v1/responses nested tool parameters',
      path: '/v1/responses',
      body: `{"model":"sim-gpt-fast","background":true,"input":"hi","tools":[{"type":"function","name":"f","parameters":${objects}}]}`,
    },
  );
  return requests.map((request) => ({ ...request, contentType: 'application/json' }));
}

/** The whole hostile set at the given sizes. */
export function hostileRequests(sizes: HostileSizes): HostileRequest[] {
  return [
    ...hostileTexts(sizes).flatMap(({ name, text }) => textRequests(name, text)),
    ...structuralRequests(sizes),
  ];
}
