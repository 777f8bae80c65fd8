import type OpenAI from 'openai';
import type { ReasoningPart } from '../../messages/content-part';
import type { StreamPart } from '../../messages/stream-part';
import {
  outputItemId,
  type ResponseObject,
  type ResponseOutputItem,
  reasoningItem,
  responseEnd,
  responseObject,
} from './convert-to-openai-response';
import type { ResponseSettings } from './response-settings';

/** One Responses stream event as llmq sends it (`response` carries llmq's response object). */
export type ResponseStreamEvent = { type: string; sequence_number: number } & Record<
  string,
  unknown
>;

export interface OpenAIResponsesEventWriterOptions {
  id: string;
  /** Seconds since the epoch. */
  createdAt: number;
  settings: ResponseSettings;
}

type OpenItem =
  | { kind: 'message'; index: number; id: string; text: string }
  | { kind: 'reasoning'; index: number; id: string; text: string; part?: ReasoningPart }
  | {
      kind: 'function_call';
      index: number;
      id: string;
      callId: string;
      name: string;
      arguments: string;
    };

/**
 * Turns neutral stream parts into the Responses API's event sequence, numbered from 0 by
 * `sequence_number`: `response.created`, `response.in_progress`; per output item
 * `output_item.added`, its content part's `added`, deltas, `done`s, `output_item.done`; and
 * `response.completed` (or `incomplete`, `failed`) with the whole response. The same parts
 * always give the same events, so a stream replayed from a job's event stream numbers its
 * events as the first one did (what `starting_after` relies on).
 */
export class OpenAIResponsesEventWriter {
  private sequence = 0;
  private readonly output: ResponseOutputItem[] = [];
  /** The items still streaming, by output index; tool calls also by their stream index. */
  private current: OpenItem | undefined;
  private readonly toolCalls = new Map<number, OpenItem & { kind: 'function_call' }>();
  /** A message cut short by the token limit or a filter ends `incomplete`, as its response. */
  private messageStatus: 'completed' | 'incomplete' = 'completed';

  constructor(private readonly options: OpenAIResponsesEventWriterOptions) {}

  /** `response.created` and `response.in_progress`, the stream's opening. */
  start(): ResponseStreamEvent[] {
    const status = this.options.settings.background ? 'queued' : 'in_progress';
    return [
      this.event('response.created', { response: this.response({ status }) }),
      this.event('response.in_progress', { response: this.response({ status: 'in_progress' }) }),
    ];
  }

  /** The events of one stream part; a `finish` part ends the stream with the whole response. */
  write(part: StreamPart): ResponseStreamEvent[] {
    switch (part.type) {
      case 'text-delta':
        return this.text(part.delta);
      case 'reasoning-delta':
        return this.reasoning(part.delta);
      case 'reasoning-signature': {
        const events = this.current?.kind === 'reasoning' ? [] : this.reasoning('');
        const item = this.current;
        if (item?.kind === 'reasoning')
          item.part = { type: 'reasoning', text: item.text, signature: part.signature };
        return [...events, ...this.closeCurrent()];
      }
      case 'reasoning-redacted': {
        const events = this.closeCurrent();
        const index = this.output.length;
        const item: OpenItem = {
          kind: 'reasoning',
          index,
          id: outputItemId(this.options.id, 'rs', index),
          text: '',
          part: { type: 'reasoning', text: '', redactedData: part.data },
        };
        this.output.push(this.reasoningItem(item, 'in_progress'));
        events.push(
          this.event('response.output_item.added', {
            output_index: index,
            item: this.reasoningItem(item, 'in_progress'),
          }),
        );
        this.current = item;
        return [...events, ...this.closeCurrent()];
      }
      case 'tool-call-start': {
        const events = this.current?.kind === 'function_call' ? [] : this.closeCurrent();
        const index = this.output.length;
        const item: OpenItem = {
          kind: 'function_call',
          index,
          id: outputItemId(this.options.id, 'fc', index),
          callId: part.toolCallId,
          name: part.toolName,
          arguments: '',
        };
        this.toolCalls.set(part.index, item);
        this.current = item;
        const added = this.functionCallItem(item, 'in_progress');
        this.output.push(added);
        events.push(this.event('response.output_item.added', { output_index: index, item: added }));
        return events;
      }
      case 'tool-call-delta': {
        const item = this.toolCalls.get(part.index);
        if (!item) return [];
        item.arguments += part.argumentsDelta;
        return [
          this.event('response.function_call_arguments.delta', {
            item_id: item.id,
            output_index: item.index,
            delta: part.argumentsDelta,
          }),
        ];
      }
      case 'choice-end':
        // Only an `n` > 1 stream has these, and the Responses API has no `n`.
        return [];
      case 'response-metadata':
        // Its response objects echo the request's settings, not the provider's serving.
        return [];
      case 'finish': {
        const end = responseEnd(part.finishReason);
        this.messageStatus = end.status === 'incomplete' ? 'incomplete' : 'completed';
        const events = this.closeAll();
        const response = this.response({
          ...end,
          completedAt: Math.floor(Date.now() / 1000),
          usage: part.usage,
        });
        const type = end.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
        events.push(this.event(type, { response }));
        return events;
      }
      default: {
        const unreachable: never = part;
        return unreachable;
      }
    }
  }

  /**
   * The end of a response with no answer: `response.failed` with the error, or with status
   * `cancelled` for a cancelled job (OpenAI has no event of its own for it).
   */
  fail(error: { code: string; message: string }, cancelled = false): ResponseStreamEvent[] {
    const events = this.closeAll();
    events.push(
      this.event('response.failed', {
        response: this.response({ status: cancelled ? 'cancelled' : 'failed', error }),
      }),
    );
    return events;
  }

  private response(
    facts: Omit<Parameters<typeof responseObject>[1], 'id' | 'createdAt'>,
  ): ResponseObject {
    return responseObject(this.options.settings, {
      id: this.options.id,
      createdAt: this.options.createdAt,
      output: structuredClone(this.output),
      ...facts,
    });
  }

  private event(type: string, fields: Record<string, unknown>): ResponseStreamEvent {
    const event: ResponseStreamEvent = { type, sequence_number: this.sequence, ...fields };
    this.sequence += 1;
    return event;
  }

  private text(delta: string): ResponseStreamEvent[] {
    const events =
      this.current?.kind === 'message'
        ? []
        : this.openTextItem(
            'message',
            (id): OpenAI.Responses.ResponseOutputMessage => ({
              id,
              type: 'message',
              role: 'assistant',
              status: 'in_progress',
              content: [],
            }),
            { type: 'output_text', text: '', annotations: [], logprobs: [] },
          );
    const item = this.current;
    if (item?.kind !== 'message' || delta === '') return events;
    item.text += delta;
    events.push(
      this.event('response.output_text.delta', {
        item_id: item.id,
        output_index: item.index,
        content_index: 0,
        delta,
        logprobs: [],
      }),
    );
    return events;
  }

  private reasoning(delta: string): ResponseStreamEvent[] {
    const events =
      this.current?.kind === 'reasoning'
        ? []
        : this.openTextItem(
            'reasoning',
            (id): OpenAI.Responses.ResponseReasoningItem => ({
              id,
              type: 'reasoning',
              summary: [],
              content: [],
              encrypted_content: null,
              status: 'in_progress',
            }),
            { type: 'reasoning_text', text: '' },
          );
    const item = this.current;
    if (item?.kind !== 'reasoning' || delta === '') return events;
    item.text += delta;
    events.push(
      this.event('response.reasoning_text.delta', {
        item_id: item.id,
        output_index: item.index,
        content_index: 0,
        delta,
      }),
    );
    return events;
  }

  /**
   * Closes what is open and opens a message or reasoning item at the next output index: its
   * `output_item.added` (with `added(id)`) and `content_part.added` (with `part`) events.
   */
  private openTextItem(
    kind: 'message' | 'reasoning',
    added: (id: string) => ResponseOutputItem,
    part: Record<string, unknown>,
  ): ResponseStreamEvent[] {
    const events = this.closeAll();
    const index = this.output.length;
    const id = outputItemId(this.options.id, kind === 'message' ? 'msg' : 'rs', index);
    this.current = { kind, index, id, text: '' };
    const item = added(id);
    this.output.push(item);
    events.push(
      this.event('response.output_item.added', { output_index: index, item }),
      this.event('response.content_part.added', {
        item_id: id,
        output_index: index,
        content_index: 0,
        part,
      }),
    );
    return events;
  }

  private reasoningItem(
    item: OpenItem & { kind: 'reasoning' },
    status: 'in_progress' | 'completed',
  ): OpenAI.Responses.ResponseReasoningItem {
    const part = item.part ?? { type: 'reasoning', text: item.text };
    return { ...reasoningItem(item.id, part, this.options.settings.encrypted_reasoning), status };
  }

  private functionCallItem(
    item: OpenItem & { kind: 'function_call' },
    status: 'in_progress' | 'completed',
  ): OpenAI.Responses.ResponseFunctionToolCall {
    return {
      id: item.id,
      type: 'function_call',
      call_id: item.callId,
      name: item.name,
      arguments: item.arguments,
      status,
    };
  }

  /** Ends every open item: the current one, and tool calls (several may stream at once). */
  private closeAll(): ResponseStreamEvent[] {
    const events = this.current?.kind === 'function_call' ? [] : this.closeCurrent();
    const calls = [...this.toolCalls.values()].sort((a, b) => a.index - b.index);
    for (const call of calls) events.push(...this.closeItem(call));
    this.toolCalls.clear();
    this.current = undefined;
    return events;
  }

  private closeCurrent(): ResponseStreamEvent[] {
    const item = this.current;
    this.current = undefined;
    return item === undefined || item.kind === 'function_call' ? [] : this.closeItem(item);
  }

  private closeItem(item: OpenItem): ResponseStreamEvent[] {
    const base = { item_id: item.id, output_index: item.index };
    switch (item.kind) {
      case 'message': {
        const part = { type: 'output_text', text: item.text, annotations: [], logprobs: [] };
        const done: OpenAI.Responses.ResponseOutputMessage = {
          id: item.id,
          type: 'message',
          role: 'assistant',
          status: this.messageStatus,
          content: [{ type: 'output_text', text: item.text, annotations: [], logprobs: [] }],
        };
        this.output[item.index] = done;
        return [
          this.event('response.output_text.done', {
            ...base,
            content_index: 0,
            text: item.text,
            logprobs: [],
          }),
          this.event('response.content_part.done', { ...base, content_index: 0, part }),
          this.event('response.output_item.done', { output_index: item.index, item: done }),
        ];
      }
      case 'reasoning': {
        const done = this.reasoningItem(item, 'completed');
        this.output[item.index] = done;
        const events: ResponseStreamEvent[] = [];
        if (item.part?.redactedData === undefined) {
          events.push(
            this.event('response.reasoning_text.done', {
              ...base,
              content_index: 0,
              text: item.text,
            }),
            this.event('response.content_part.done', {
              ...base,
              content_index: 0,
              part: { type: 'reasoning_text', text: item.text },
            }),
          );
        }
        events.push(
          this.event('response.output_item.done', { output_index: item.index, item: done }),
        );
        return events;
      }
      case 'function_call': {
        const done = this.functionCallItem(item, 'completed');
        this.output[item.index] = done;
        return [
          this.event('response.function_call_arguments.done', {
            ...base,
            name: item.name,
            arguments: item.arguments,
          }),
          this.event('response.output_item.done', { output_index: item.index, item: done }),
        ];
      }
      default: {
        const unreachable: never = item;
        return unreachable;
      }
    }
  }
}
