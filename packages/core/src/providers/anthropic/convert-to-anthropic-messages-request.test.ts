import { convertToAnthropicMessagesRequest } from './convert-to-anthropic-messages-request';

describe('convertToAnthropicMessagesRequest', () => {
  it('moves system messages to `system` and merges consecutive same-role messages', () => {
    const body = convertToAnthropicMessagesRequest(
      'claude',
      {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'system', content: 'Be kind.' },
          { role: 'user', content: 'Hi.' },
          { role: 'user', content: 'Still there?' },
          { role: 'assistant', content: 'Yes.' },
          { role: 'user', content: 'Good.' },
        ],
      },
      { maxTokensDefault: 4096 },
    );
    expect(body).toEqual({
      model: 'claude',
      system: 'Be brief.\n\nBe kind.',
      max_tokens: 4096,
      messages: [
        { role: 'user', content: 'Hi.\n\nStill there?' },
        { role: 'assistant', content: 'Yes.' },
        { role: 'user', content: 'Good.' },
      ],
    });
  });

  it('passes maxTokens, stop sequences, temperature and top_p', () => {
    const body = convertToAnthropicMessagesRequest(
      'claude',
      {
        messages: [{ role: 'user', content: 'Hi.' }],
        maxTokens: 10,
        stop: ['END'],
        temperature: 0.7,
        topP: 0.5,
      },
      { maxTokensDefault: 4096 },
    );
    expect(body).toEqual({
      model: 'claude',
      max_tokens: 10,
      stop_sequences: ['END'],
      temperature: 0.7,
      top_p: 0.5,
      messages: [{ role: 'user', content: 'Hi.' }],
    });
  });

  it("fits a thinking budget made from an effort under max_tokens, and gives a client's budget as is", () => {
    const messages = [{ role: 'user' as const, content: 'Hi.' }];
    const thinkingOf = (
      request: Omit<Parameters<typeof convertToAnthropicMessagesRequest>[1], 'messages'>,
    ) => {
      const body = convertToAnthropicMessagesRequest(
        'claude',
        { messages, ...request },
        { maxTokensDefault: 4096 },
      );
      return { thinking: body.thinking, max_tokens: body.max_tokens };
    };
    // No limit: the default stays the answer's room, the thinking comes on top.
    expect(thinkingOf({ reasoning: { effort: 'medium' } })).toEqual({
      thinking: { type: 'enabled', budget_tokens: 8192 },
      max_tokens: 4096 + 8192,
    });
    // A limit counts the reasoning (OpenAI's max_completion_tokens): the budget fits under it.
    expect(thinkingOf({ reasoning: { effort: 'high' }, maxTokens: 4000 })).toEqual({
      thinking: { type: 'enabled', budget_tokens: 3999 },
      max_tokens: 4000,
    });
    expect(thinkingOf({ reasoning: { effort: 'low' }, maxTokens: 10_000 })).toEqual({
      thinking: { type: 'enabled', budget_tokens: 2048 },
      max_tokens: 10_000,
    });
    expect(thinkingOf({ reasoning: { budgetTokens: 2048 }, maxTokens: 1500 })).toEqual({
      thinking: { type: 'enabled', budget_tokens: 2048 },
      max_tokens: 1500,
    });
    expect(() => thinkingOf({ reasoning: { effort: 'low' }, maxTokens: 1024 })).toThrow(
      expect.objectContaining({ code: 'unsupported_parameter', parameter: 'reasoning_effort' }),
    );
  });

  it('sends adaptive thinking with its effort in output_config, within the limit', () => {
    const body = convertToAnthropicMessagesRequest(
      'claude',
      {
        messages: [{ role: 'user', content: 'Hi.' }],
        reasoning: { adaptive: true, effort: 'minimal' },
        responseFormat: { type: 'json_object' },
      },
      { maxTokensDefault: 4096 },
    );
    expect(body).toMatchObject({
      thinking: { type: 'adaptive' },
      output_config: { effort: 'low', format: { type: 'json_schema' } },
      max_tokens: 4096,
    });
  });

  it('passes temperature, top_p and top_k through, and refuses seed and penalties by name', () => {
    const request = { messages: [{ role: 'user' as const, content: 'Hi.' }] };
    const body = convertToAnthropicMessagesRequest(
      'claude',
      { ...request, temperature: 0.2, topP: 0.9, topK: 5 },
      { maxTokensDefault: 16 },
    );
    expect(body).toMatchObject({ temperature: 0.2, top_p: 0.9, top_k: 5 });
    for (const [refused, parameter] of [
      [{ seed: 7 }, 'seed'],
      [{ presencePenalty: 0.5 }, 'presence_penalty'],
      [{ frequencyPenalty: 0.5 }, 'frequency_penalty'],
    ] as const) {
      expect(() =>
        convertToAnthropicMessagesRequest(
          'claude',
          { ...request, ...refused },
          { maxTokensDefault: 16 },
        ),
      ).toThrow(`"${parameter}" is not supported by claude`);
    }
  });
});
