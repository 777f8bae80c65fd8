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
