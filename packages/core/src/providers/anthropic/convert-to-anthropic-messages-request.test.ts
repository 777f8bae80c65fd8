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

  it('passes maxTokens and stop sequences, and leaves out what the API no longer takes', () => {
    const body = convertToAnthropicMessagesRequest(
      'claude',
      {
        messages: [{ role: 'user', content: 'Hi.' }],
        maxTokens: 10,
        stop: ['END'],
        temperature: 1.7,
        topP: 0.5,
        seed: 3,
      },
      { maxTokensDefault: 4096 },
    );
    expect(body).toEqual({
      model: 'claude',
      max_tokens: 10,
      stop_sequences: ['END'],
      messages: [{ role: 'user', content: 'Hi.' }],
    });
  });
});
