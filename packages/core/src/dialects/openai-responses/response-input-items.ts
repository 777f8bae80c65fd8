import type { ResponsesInputItem } from './openai-responses-request-schema';

/** An input item as `GET /v1/responses/:id/input_items` lists it: with an id and a type. */
export type ResponseInputListItem = { id: string; type: string } & Record<string, unknown>;

/**
 * A response's input items as OpenAI lists them: a string input is one user message, a
 * message's string content one `input_text` (`output_text` for the assistant) part, and every
 * item has an id (the client's own, else one made from the response id and its place).
 */
export function responseInputItems(
  input: string | readonly ResponsesInputItem[],
  responseId: string,
): ResponseInputListItem[] {
  const hex = responseId.replace(/^resp_/, '');
  const idOf = (kind: string, index: number) =>
    `${kind}_${hex}in${index.toString(16).padStart(4, '0')}`;
  if (typeof input === 'string') {
    return [
      {
        id: idOf('msg', 0),
        type: 'message',
        role: 'user',
        status: 'completed',
        content: [{ type: 'input_text', text: input }],
      },
    ];
  }
  return input.map((item, index): ResponseInputListItem => {
    switch (item.type) {
      case 'message': {
        const textType = item.role === 'assistant' ? 'output_text' : 'input_text';
        const content =
          typeof item.content === 'string'
            ? [
                item.role === 'assistant'
                  ? { type: textType, text: item.content, annotations: [] }
                  : { type: textType, text: item.content },
              ]
            : item.content;
        return {
          ...item,
          id: item.id ?? idOf('msg', index),
          status: item.status ?? 'completed',
          content,
        };
      }
      case 'function_call':
        return { ...item, id: item.id ?? idOf('fc', index), status: item.status ?? 'completed' };
      case 'function_call_output':
        return { ...item, id: item.id ?? idOf('fco', index), status: item.status ?? 'completed' };
      case 'reasoning':
        return { ...item, id: item.id ?? idOf('rs', index) };
      case 'item_reference':
        return { ...item };
      default: {
        const unreachable: never = item;
        return unreachable;
      }
    }
  });
}
