import { startSimulator } from './start-simulator';

describe('startSimulator', () => {
  it('listens on a free loopback port and closes promptly despite hanging requests', async () => {
    const simulator = await startSimulator();
    expect(simulator.url).toBe(`http://127.0.0.1:${simulator.port}`);
    expect(simulator.port).toBeGreaterThan(0);

    const hanging = fetch(`${simulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sim',
        'content-type': 'application/json',
        'x-sim-fault': 'hang',
      },
      body: JSON.stringify({ model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'x' }] }),
    }).catch((error: unknown) => error);
    const slow = fetch(`${simulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sim',
        'content-type': 'application/json',
        'x-sim-latency-ms': '60000',
      },
      body: JSON.stringify({ model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'x' }] }),
    }).catch((error: unknown) => error);
    while (simulator.counters().total < 2) await new Promise((resolve) => setTimeout(resolve, 5));

    const started = performance.now();
    await simulator.close();
    expect(performance.now() - started).toBeLessThan(1000);
    // undici's TypeError comes from another realm than jest's, so match its shape.
    expect(await hanging).toMatchObject({ message: 'fetch failed' });
    expect(await slow).toMatchObject({ message: 'fetch failed' });
    // Closing twice is harmless.
    await simulator.close();
  });

  it('rejects invalid profiles at start', async () => {
    await expect(startSimulator({ models: { 'sim-x': { latencyMs: -5 } } })).rejects.toThrow(
      /latencyMs/,
    );
  });
});
