import type { AssistantContentPart } from '../../messages/content-part';
import { convertGeminiPart } from './convert-gemini-response';
import { convertToGeminiRequest } from './convert-to-gemini-request';

/** The model turn Gemini gets back for an assistant message of `content`. */
function modelTurn(content: AssistantContentPart[]) {
  const { contents } = convertToGeminiRequest('gemini', {
    messages: [
      { role: 'user', content: 'Hi.' },
      { role: 'assistant', content },
      { role: 'user', content: 'And?' },
    ],
  });
  return contents[1]?.parts;
}

describe("a Gemini text part's thought signature", () => {
  it('comes out as a marked reasoning part after its text, and goes back on the text', () => {
    const answer = convertGeminiPart({ text: 'Hello.', thoughtSignature: 'c2ln' });
    expect(answer).toEqual([
      { type: 'text', text: 'Hello.' },
      { type: 'reasoning', text: '', signature: 'llmq_gts_c2ln' },
    ]);
    expect(modelTurn(answer)).toEqual([{ text: 'Hello.', thoughtSignature: 'c2ln' }]);
    // A thought's own signature stays a thought's.
    expect(convertGeminiPart({ text: 'Hmm.', thought: true, thoughtSignature: 'dA' })).toEqual([
      { type: 'reasoning', text: 'Hmm.', signature: 'dA' },
    ]);
  });

  it('finds its text when the reasoning came first (the OpenAI format), or stands alone', () => {
    const signature = { type: 'reasoning' as const, text: '', signature: 'llmq_gts_c2ln' };
    const first = { type: 'text' as const, text: 'One.' };
    const second = { type: 'text' as const, text: 'Two.' };
    expect(modelTurn([signature, first, second])).toEqual([
      { text: 'One.' },
      { text: 'Two.', thoughtSignature: 'c2ln' },
    ]);
    expect(modelTurn([first, signature, second])).toEqual([
      { text: 'One.', thoughtSignature: 'c2ln' },
      { text: 'Two.' },
    ]);
    expect(modelTurn([signature])).toEqual([{ text: '', thoughtSignature: 'c2ln' }]);
    // Thought text merged into the block (a stream's unsigned thoughts) stays a thought.
    expect(modelTurn([{ ...signature, text: 'Hmm.' }, first])).toEqual([
      { text: 'Hmm.', thought: true },
      { text: 'One.', thoughtSignature: 'c2ln' },
    ]);
  });
});
