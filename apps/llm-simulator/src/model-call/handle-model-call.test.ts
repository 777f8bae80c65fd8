import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { z } from 'zod';
import { anthropicDialect } from '../anthropic/anthropic-dialect';
import { openAiDialect } from '../openai/openai-dialect';
import { createSimulatorState } from '../server/simulator-state';
import type { Dialect } from './dialect';
import { handleModelCall } from './handle-model-call';
import type { ModelRoute } from './model-route';

/** A route whose answer throws, as a bug in a route would. */
function throwingRoute(path: string, dialect: Dialect): ModelRoute<{ model: string }> {
  return {
    path,
    dialect,
    requestSchema: z.looseObject({ model: z.string() }),
    answer() {
      throw new Error('route bug');
    },
  };
}

async function serve(
  route: ModelRoute<{ model: string }>,
): Promise<{ server: Server; url: string }> {
  const state = createSimulatorState();
  const server = createServer((request, response) => {
    void handleModelCall(route, request, response, state);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('handleModelCall when a route throws', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(
      servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
    );
  });

  it('answers a 500 in OpenAI shape with the request id', async () => {
    const { server, url } = await serve(throwingRoute('/v1/chat/completions', openAiDialect));
    servers.push(server);
    const client = new OpenAI({
      apiKey: 'sim',
      baseURL: `${url}/v1`,
      maxRetries: 0,
      timeout: 2000,
    });
    const error = await client.chat.completions
      .create({ model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 500, type: 'server_error' });
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain('route bug');
    expect((error as InstanceType<typeof OpenAI.APIError>).requestID).toMatch(/^req_/);
  });

  it('answers a 500 in Anthropic shape with the request id', async () => {
    const { server, url } = await serve(throwingRoute('/v1/messages', anthropicDialect));
    servers.push(server);
    const client = new Anthropic({ apiKey: 'sim', baseURL: url, maxRetries: 0, timeout: 2000 });
    const error = await client.messages
      .create({
        model: 'sim-claude-fast',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'api_error', message: expect.stringContaining('route bug') },
    });
    expect((error as InstanceType<typeof Anthropic.APIError>).requestID).toMatch(/^req_01/);
  });
});
