import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import { ChatCompletionStream } from 'openai/lib/ChatCompletionStream';
import { ResponseStream } from 'openai/lib/responses/ResponseStream';

/** Bytes of newline-delimited JSON, the form the SDKs' `fromReadableStream` helpers read. */
function jsonLines(items: readonly unknown[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const item of items) controller.enqueue(encoder.encode(`${JSON.stringify(item)}\n`));
      controller.close();
    },
  });
}

/** The chat completion the official `openai` SDK assembles from our chunks. */
export function assembleWithOpenAISdk(chunks: readonly unknown[]) {
  return ChatCompletionStream.fromReadableStream(jsonLines(chunks)).finalChatCompletion();
}

/** The message the official `@anthropic-ai/sdk` assembles from our events. */
export function assembleWithAnthropicSdk(events: readonly unknown[]) {
  return MessageStream.fromReadableStream(jsonLines(events)).finalMessage();
}

/** The response the official `openai` SDK assembles from our Responses stream events. */
export function assembleResponseWithOpenAISdk(events: readonly unknown[]) {
  return ResponseStream.fromReadableStream(jsonLines(events)).finalResponse();
}
