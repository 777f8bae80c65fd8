import {
  carriesProviderText,
  eventWithoutProviderText,
  failureSummary,
  withoutProviderText,
} from './failure-text';
import type { JobFailure } from './job-failure';

const quoted = 'cannot serve "the merger terms of zebra holdings"';
const providerFailure: JobFailure = {
  code: 'provider_bad_request',
  message: quoted,
  provider: 'openai',
  status_code: 400,
  request_id: 'req_1',
};

describe('failure text', () => {
  it("replaces a provider's text with its code, provider and status", () => {
    expect(failureSummary(providerFailure)).toBe('provider_bad_request from openai (HTTP 400)');
    const shown = withoutProviderText(providerFailure);
    expect(shown).toMatchObject({
      code: 'provider_bad_request',
      status_code: 400,
      request_id: 'req_1',
    });
    expect(shown.message).not.toContain('zebra');
  });

  it("keeps llmq's own messages, even with a provider named", () => {
    const rejected: JobFailure = {
      code: 'output_rejected',
      message: 'the output filter blocked the answer: policy',
      provider: 'openai',
    };
    expect(carriesProviderText(rejected)).toBe(false);
    expect(withoutProviderText(rejected)).toBe(rejected);
    const waiting: JobFailure = { code: 'provider_rate_limited', message: 'waiting 10 ms' };
    expect(failureSummary(waiting)).toBe('waiting 10 ms');
  });

  it("rewrites a status event's error and leaves others as stored", () => {
    const data = { status: 'failed' as const, error: providerFailure };
    const event = eventWithoutProviderText({
      id: '1-0',
      name: 'status',
      data,
      json: JSON.stringify(data),
    });
    expect(event.json).toContain('provider_bad_request');
    expect(event.json).not.toContain('zebra');
    const delta = {
      id: '2-0',
      name: 'delta' as const,
      data: { text: 'zebra' },
      json: '{"text":"zebra"}',
    };
    expect(eventWithoutProviderText(delta)).toBe(delta);
  });
});
