import { loadModelCatalog } from '../catalog/load-model-catalog';
import type { ToolDefinition } from '../messages/tool-definition';
import { estimateInputTokens, imageTokenEstimate } from '../tokens/estimate-input-tokens';
import { chooseHedgeModel } from './choose-hedge-model';
import { missingCapabilities, requiredCapabilities } from './model-capabilities';
import { routeRequest } from './route-request';

const catalog = loadModelCatalog(undefined, {
  availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
});
const tool: ToolDefinition = {
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } } },
};
const image = {
  type: 'image' as const,
  source: { type: 'base64' as const, mediaType: 'image/png', data: 'iVBOR' },
};
const withImage = [
  { role: 'user' as const, content: [{ type: 'text' as const, text: 'What is this?' }, image] },
];

describe('requiredCapabilities', () => {
  it('is empty for plain text', () => {
    expect(requiredCapabilities({ messages: [{ content: 'hi' }] })).toEqual([]);
  });

  it('finds tools, images, documents, schemas, JSON mode and reasoning wherever they are', () => {
    expect(
      requiredCapabilities({
        messages: [
          { content: [{ type: 'document', source: { type: 'url', url: 'https://x/a.pdf' } }] },
          {
            content: [
              { type: 'reasoning', text: 'r', signature: 's' },
              { type: 'tool-call', toolCallId: 'c', toolName: 'f', arguments: '{}' },
            ],
          },
          { content: [{ type: 'tool-result', toolCallId: 'c', content: [image] }] },
        ],
        responseFormat: { type: 'json_schema', name: 'x', schema: {} },
      }),
    ).toEqual(['tools', 'vision', 'documents', 'json_schema', 'reasoning']);
    expect(
      requiredCapabilities({
        messages: [],
        tools: [tool],
        responseFormat: { type: 'json_object' },
      }),
    ).toEqual(['tools', 'json_mode']);
    expect(requiredCapabilities({ messages: [], reasoning: { effort: 'low' } })).toEqual([
      'reasoning',
    ]);
  });
});

describe('missingCapabilities', () => {
  it('names what a catalog model lacks', () => {
    const local = catalog.resolve('sim-local-llama');
    expect(local).toBeDefined();
    expect(
      missingCapabilities(local as NonNullable<typeof local>, {
        messages: withImage,
        tools: [tool],
      }),
    ).toEqual(['vision']);
    const gpt = catalog.resolve('sim-gpt-fast');
    expect(
      missingCapabilities(gpt as NonNullable<typeof gpt>, { messages: withImage, tools: [tool] }),
    ).toEqual([]);
  });
});

describe('capability routing', () => {
  it('refuses an explicit model without a needed capability: model_capability_missing', () => {
    const outcome = routeRequest(catalog, { model: 'sim-local-llama', messages: withImage });
    expect(outcome).toMatchObject({
      ok: false,
      code: 'model_capability_missing',
      details: { model: 'sim-local-llama', missing_capabilities: ['vision'] },
    });
  });

  it('leaves incapable models out of an explicit model’s fallback chain', () => {
    const plain = routeRequest(catalog, {
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(plain.ok && plain.decision.chain).toContain('sim-local-llama');
    const outcome = routeRequest(catalog, { model: 'sim-gpt-fast', messages: withImage });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.decision.chain).not.toContain('sim-local-llama');
    expect(outcome.decision.excluded).toContainEqual({
      model: 'sim-local-llama',
      reason: 'lacks vision',
    });
    expect(outcome.decision.capabilities).toEqual(['vision']);
  });

  it('lets auto pick only capable models, and refuses when none is', () => {
    // Without the image, auto picks the cheapest fast model: the free local one.
    const plain = routeRequest(catalog, {
      model: 'auto',
      messages: [{ role: 'user', content: 'What is this?' }],
    });
    expect(plain.ok && plain.decision.model).toBe('sim-local-llama');
    const outcome = routeRequest(catalog, { model: 'auto', messages: withImage });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.decision.model).not.toBe('sim-local-llama');
    expect(outcome.decision.chain).not.toContain('sim-local-llama');
    const none = routeRequest(catalog, {
      model: 'auto',
      messages: withImage,
      reasoning: { effort: 'high' },
    });
    expect(none).toMatchObject({ ok: false, code: 'model_capability_missing' });
  });

  it('hedges only with a capable model', () => {
    const decision = {
      model: 'sim-gpt-fast',
      tier: 'fast' as const,
      chain: ['sim-gpt-fast'],
      capabilities: ['vision' as const],
    };
    expect(chooseHedgeModel(catalog, decision, { model: 'sim-local-llama', afterMs: 0 })).toEqual({
      ok: false,
      message: 'hedge model "sim-local-llama" lacks vision',
    });
    const auto = chooseHedgeModel(catalog, decision, { afterMs: 0 });
    expect(auto.ok && auto.entry.capabilities.vision).toBe(true);
  });
});

describe('token estimates of the new parts', () => {
  it('counts an image and a tool schema in the input estimate the rate limiter reserves', () => {
    const text = estimateInputTokens([{ content: [{ type: 'text', text: 'What is this?' }] }]);
    expect(estimateInputTokens(withImage)).toBe(text + imageTokenEstimate);
    expect(estimateInputTokens(withImage, [tool])).toBeGreaterThan(text + imageTokenEstimate + 10);
  });
});
