import { AzureOpenAI } from 'openai';
import { type RunningSimulator, startSimulator } from '../start-simulator';

describe('Azure OpenAI routes', () => {
  let simulator: RunningSimulator;

  beforeAll(async () => {
    simulator = await startSimulator();
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(() => simulator.reset());

  const client = () =>
    new AzureOpenAI({
      apiKey: 'k',
      apiVersion: '2024-10-21',
      baseURL: `${simulator.url}/openai`,
      maxRetries: 0,
      logLevel: 'off',
    });

  it('serves chat completions per deployment, with the api-key header', async () => {
    const completion = await client().chat.completions.create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'echo: hi' }],
    });
    expect(completion.choices[0]?.message.content).toBe('hi');
    const [call] = simulator.counters().recent;
    expect(call?.route).toBe('/openai/deployments/{deployment}/chat/completions');
    expect(call?.model).toBe('sim-gpt-fast');
  });

  const chat = (path: string, headers: Record<string, string>) =>
    fetch(`${simulator.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'echo: hi' }] }),
    });

  it('takes the deployment from the path whatever the body says, and wants an api-version', async () => {
    const ok = await chat(
      '/openai/deployments/sim-gpt-fast/chat/completions?api-version=2024-10-21',
      {
        'api-key': 'k',
      },
    );
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ model: 'sim-gpt-fast' });
    const noVersion = await chat('/openai/deployments/sim-gpt-fast/chat/completions', {
      'api-key': 'k',
    });
    expect(noVersion.status).toBe(404);
    expect(await noVersion.json()).toMatchObject({ error: { code: '404' } });
  });

  it("answers the gateway's own 401, DeploymentNotFound and 429 bodies", async () => {
    const path = '/openai/deployments/sim-gpt-fast/chat/completions?api-version=2024-10-21';
    const keyless = await chat(path, {});
    expect(keyless.status).toBe(401);
    expect(await keyless.json()).toMatchObject({ error: { code: '401' } });
    const missing = await chat(
      '/openai/deployments/gpt-nope/chat/completions?api-version=2024-10-21',
      { 'api-key': 'k' },
    );
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'DeploymentNotFound' } });
    const limited = await chat(path, { 'api-key': 'k', 'x-sim-fault': '429' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await limited.json()).toMatchObject({ error: { code: '429' } });
  });
});
