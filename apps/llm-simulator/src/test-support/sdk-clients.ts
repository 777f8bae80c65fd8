import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { RunningSimulator } from '../start-simulator';

/** The official OpenAI client pointed at `simulator`, without SDK retries or logs. */
export function openAiClient(
  simulator: RunningSimulator,
  options: { timeout?: number } = {},
): OpenAI {
  return new OpenAI({
    apiKey: 'sim',
    baseURL: `${simulator.url}/v1`,
    maxRetries: 0,
    logLevel: 'off',
    ...options,
  });
}

/** The official Anthropic client pointed at `simulator`, without SDK retries or logs. */
export function anthropicClient(
  simulator: RunningSimulator,
  options: { timeout?: number } = {},
): Anthropic {
  return new Anthropic({
    apiKey: 'sim',
    baseURL: simulator.url,
    maxRetries: 0,
    logLevel: 'off',
    ...options,
  });
}

/** Collects an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
