import { geminiCallOf, toolCallIdOf } from './gemini-tool-call-id';

describe('Gemini tool call ids', () => {
  it('keeps Gemini’s own id, and makes one up that is never sent back', () => {
    expect(toolCallIdOf({ id: 'fc-7' })).toBe('fc-7');
    expect(geminiCallOf('fc-7')).toEqual({ id: 'fc-7' });
    const made = toolCallIdOf({});
    expect(made).toMatch(/^llmq_fc_[0-9a-f-]{36}$/);
    expect(geminiCallOf(made)).toEqual({});
  });

  it('seals a thought signature (and Gemini’s id) in an id of [a-zA-Z0-9_-] only', () => {
    const signature = 'c2ltMQ+/signature==';
    const signed = toolCallIdOf({ thoughtSignature: signature });
    expect(signed).toMatch(/^llmq_fcs_[a-zA-Z0-9_-]+$/);
    expect(geminiCallOf(signed)).toEqual({ thoughtSignature: signature });
    const both = toolCallIdOf({ id: 'fc-1', thoughtSignature: signature });
    expect(geminiCallOf(both)).toEqual({ id: 'fc-1', thoughtSignature: signature });
    // Two steps with equal signatures still get different ids.
    expect(toolCallIdOf({ thoughtSignature: signature })).not.toBe(signed);
  });

  it('sends neither id nor signature for a signed id that does not decode', () => {
    expect(geminiCallOf('llmq_fcs_not-base64-json')).toEqual({});
    expect(geminiCallOf(`llmq_fcs_${Buffer.from('"text"').toString('base64url')}`)).toEqual({});
  });
});
