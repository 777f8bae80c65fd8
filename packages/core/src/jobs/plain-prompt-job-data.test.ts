import { isDeepStrictEqual } from 'node:util';
import type { ZodType } from 'zod';
import { chatRequestSchema } from '../messages/chat-request';
import { promptJobDataSchema } from './job-catalog';
import { plainDataFields, plainPromptJobData, plainRequestFields } from './plain-prompt-job-data';

/** What the API queues for `POST /v1/jobs` with one user message and `max_tokens`. */
const submitted = () => ({
  jobId: 'job_1b11b8556f9d4d7bb437a03e99796869',
  tenant: 'bench',
  model: 'sim-gpt-fast',
  request: {
    messages: [{ role: 'user', content: 'Summarise the quick brown fox in one line.' }],
    maxTokens: 32,
  },
  inputTokens: 18,
  createdAt: 1_796_689_963_689,
  requestId: 'req_f87ab145b7764a728525984e1f165bdb',
  noReservation: true,
});

type Data = Record<string, unknown>;
const withData = (change: (data: Data) => void): unknown => {
  const data: Data = submitted();
  change(data);
  return data;
};
const withRequest = (change: (request: Data) => void) =>
  withData((data) => change(data.request as Data));

/** Values at and past every rule a checked field has, and of every other type. */
const probes: unknown[] = [
  '',
  'x',
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(128),
  'x'.repeat(129),
  'x'.repeat(512),
  'x'.repeat(513),
  -1,
  0,
  1,
  1.5,
  -2.5,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  null,
  {},
  [],
];

const variants: unknown[] = [
  submitted(),
  withData((data) => {
    data.stream = true;
    data.traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    data.tracestate = 'congo=t61rcWkgMzE';
  }),
  withRequest((request) => {
    request.messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: '' },
      { role: 'assistant', content: 'Sure.' },
      { role: 'user', content: 'And again?' },
    ];
    request.temperature = 0.2;
    request.topP = 1;
    request.seed = -3;
  }),
  // Each of these goes to the schema: a key the check does not know, a rule broken, a shape
  // it leaves to zod.
  withData((data) => {
    data.extra = 1;
  }),
  withData((data) => Object.assign(data, { constructor: 'x' })),
  JSON.parse(
    '{"__proto__":{"a":1},"jobId":"j","tenant":"t","model":"m","request":{"messages":[{"role":"user","content":"hi"}]},"createdAt":1}',
  ),
  withData((data) => {
    data.noReservation = false;
  }),
  withData((data) => {
    data.requestId = undefined;
  }),
  withData((data) => {
    delete data.createdAt;
  }),
  withData((data) => {
    delete data.request;
  }),
  withData((data) => {
    data.progress = { attempts: [] };
  }),
  withData((data) => {
    data.apiKey = { id: 'k', maxRunningJobs: 2 };
  }),
  withRequest((request) => {
    request.messages = [];
  }),
  withRequest((request) => {
    delete request.messages;
  }),
  withRequest((request) => {
    request.stream = true;
  }),
  withRequest((request) => Object.assign(request, { toString: 'x' })),
  withRequest((request) => {
    request.messages = [{ role: 'user', content: 'hi', name: 'ann' }];
  }),
  withRequest((request) => {
    request.messages = [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }];
  }),
  withRequest((request) => {
    request.messages = [{ role: 'tool', content: 'hi' }];
  }),
  withRequest((request) => {
    request.messages = [{ role: 'developer', content: 'hi' }];
  }),
  withRequest((request) => {
    request.messages = [{ role: 'user' }];
  }),
  withRequest((request) => {
    request.messages = [null];
  }),
  ...[...plainDataFields.keys()].flatMap((key) =>
    probes.map((value) =>
      withData((data) => {
        data[key] = value;
      }),
    ),
  ),
  ...[...plainRequestFields.keys()].flatMap((key) =>
    probes.map((value) =>
      withRequest((request) => {
        request[key] = value;
      }),
    ),
  ),
  // A message's content, of each role the check takes, at every probe and a long one: a rule
  // the schema gains for content (a length, a pattern) fails the comparison below.
  ...[...probes, 'x'.repeat(100_000)].flatMap((content) =>
    ['system', 'user', 'assistant'].map((role) =>
      withRequest((request) => {
        request.messages = [{ role, content }];
      }),
    ),
  ),
  null,
  [],
  'job',
  new (class Data {
    jobId = 'j';
  })(),
];

describe('plainPromptJobData', () => {
  it('takes the data of a plain chat submit as it is', () => {
    const data = submitted();
    expect(plainPromptJobData(data)).toBe(data);
    expect(variants.slice(1, 3).every((variant) => plainPromptJobData(variant) === variant)).toBe(
      true,
    );
  });

  it('takes only data the schema parses to the same value, and leaves the rest to it', () => {
    const differing = variants.filter((data) => {
      const plain = plainPromptJobData(data);
      if (plain === undefined) return false;
      const parsed = promptJobDataSchema.safeParse(data);
      return !parsed.success || !isDeepStrictEqual(parsed.data, plain);
    });
    expect(differing).toEqual([]);
    // Left to the schema: everything past the first three variants that the schema refuses or
    // changes, and the keys it does not know.
    expect(
      variants.filter((data) => plainPromptJobData(data) === undefined).length,
    ).toBeGreaterThan(100);
  });

  it("checks each field it knows by the schema's own rule for it", () => {
    const shapes: Array<
      [ReadonlyMap<string, (value: unknown) => boolean>, Record<string, ZodType>]
    > = [
      [plainDataFields, promptJobDataSchema.shape],
      [plainRequestFields, chatRequestSchema.shape],
    ];
    const differing = shapes.flatMap(([fields, shape]) =>
      [...fields]
        .filter(([key]) => key !== 'request' && key !== 'messages')
        .flatMap(([key, check]) =>
          probes
            .filter((value) => check(value) !== shape[key]?.safeParse(value).success)
            .map((value) => ({ key, value })),
        ),
    );
    expect(differing).toEqual([]);
  });
});
