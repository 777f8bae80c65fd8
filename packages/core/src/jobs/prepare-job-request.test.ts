import { loadModelCatalog } from '../catalog/load-model-catalog';
import { screenJobRequest } from '../filters/filter-job-request';
import { defaultFilterPolicy } from '../filters/filter-policy';
import { routeJob } from '../routing/route-job';
import { jobRequestSchema } from './job-request';
import { prepareJobRequest } from './prepare-job-request';

const catalog = loadModelCatalog(undefined, {
  availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
});
const request = (fields: Record<string, unknown>) =>
  jobRequestSchema.parse({ prompt: 'echo: hi', temperature: 0, ...fields });

describe('prepareJobRequest', () => {
  test('routes auto to a catalog model (the cache key) and keeps auto as the queued model', () => {
    const prepared = prepareJobRequest(catalog, 'sim-gpt-fast', request({ model: 'auto' }));
    expect(prepared.model).toBe('auto');
    expect(prepared.decision.mode).toBe('auto');
    expect(catalog.resolve(prepared.decision.model)?.id).toBe(prepared.decision.model);
    expect(prepared.request).toEqual({
      messages: [{ role: 'user', content: 'echo: hi' }],
      temperature: 0,
    });
    // The same route a worker computes from the job's data.
    const again = routeJob(catalog, { model: 'auto', request: prepared.request });
    expect(again.ok && again.decision.model).toBe(prepared.decision.model);
  });

  test('resolves an alias to its catalog id, and the default model when none is named', () => {
    expect(prepareJobRequest(catalog, 'sim-gpt-fast', request({ model: 'local' })).model).toBe(
      'sim-local-llama',
    );
    expect(prepareJobRequest(catalog, 'sim-gpt-fast', request({})).model).toBe('sim-gpt-fast');
  });

  test('refuses what can never run with the ClientError the API answers', () => {
    expect(() => prepareJobRequest(catalog, 'sim-gpt-fast', request({ model: 'nope' }))).toThrow(
      expect.objectContaining({ code: 'unknown_model' }),
    );
    expect(() =>
      prepareJobRequest(
        catalog,
        'sim-gpt-fast',
        request({ model: 'sim-gpt-fast', hedge: { model: 'nope' } }),
      ),
    ).toThrow(expect.objectContaining({ code: 'invalid_hedge' }));
  });
});

describe('screenJobRequest', () => {
  test('refuses a blocked request naming only the blocking findings', () => {
    const secret = 'my key is sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD';
    expect(() => screenJobRequest(request({ prompt: secret }), defaultFilterPolicy)).toThrow(
      expect.objectContaining({
        code: 'input_rejected',
        findings: [expect.objectContaining({ detector: 'secret', action: 'block' })],
      }),
    );
  });

  test('passes a redacted request on with what the filter found', () => {
    const screened = screenJobRequest(
      request({ prompt: 'card 4111 1111 1111 1111 please' }),
      defaultFilterPolicy,
    );
    expect(JSON.stringify(screened.chat.messages)).not.toContain('4111 1111 1111 1111');
    expect(screened.findings).toEqual([
      expect.objectContaining({ detector: 'credit_card', action: 'redact' }),
    ]);
  });
});
