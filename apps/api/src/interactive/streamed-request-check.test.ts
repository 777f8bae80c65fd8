import { type ChatRequest, loadModelCatalog } from '@llmq/core';
import { streamedRequestCheck } from './streamed-request-check';

const catalog = loadModelCatalog(undefined, {
  availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
});
const ask: ChatRequest = { messages: [{ role: 'user', content: 'hi' }] };

describe('streamedRequestCheck', () => {
  it("refuses by name what the routed model's account cannot take, with its kind's and preset's rules", () => {
    const check = streamedRequestCheck(catalog, [
      { id: 'simulator-openai', kind: 'openai' },
      { id: 'simulator-anthropic', kind: 'anthropic' },
    ]);
    expect(() => check('sim-gpt-fast', { ...ask, n: 2, logprobs: true })).not.toThrow();
    expect(() => check('sim-claude-fast', { ...ask, n: 2 })).toThrow(
      expect.objectContaining({ name: 'UnsupportedParameterError', parameter: 'n' }),
    );
    expect(() => check('sim-claude-fast', ask)).not.toThrow();
    // The same model behind an Ollama server, whose preset refuses n.
    const ollama = streamedRequestCheck(catalog, [
      { id: 'simulator-openai', kind: 'openai-compatible', preset: 'ollama' },
    ]);
    expect(() => ollama('sim-gpt-fast', { ...ask, n: 2 })).toThrow(
      expect.objectContaining({ parameter: 'n' }),
    );
  });

  it('leaves a model whose account this process does not know to its job', () => {
    const check = streamedRequestCheck(catalog, []);
    expect(() => check('sim-claude-fast', { ...ask, n: 2 })).not.toThrow();
    expect(() => check('no-such-model', { ...ask, n: 2 })).not.toThrow();
  });
});
