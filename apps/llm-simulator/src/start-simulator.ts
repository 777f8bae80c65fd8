import type { AddressInfo } from 'node:net';
import type { SimulatorCounters } from './counters/simulator-counters';
import type { ModelProfilePatch } from './profiles/model-profile';
import { createSimulatorServer } from './server/create-simulator-server';
import type { SimulatorClock } from './server/simulator-clock';
import type { SimulatorConfigPatch } from './server/simulator-state';

/** Options of `startSimulator`. */
export interface SimulatorOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`: the control routes have no auth. */
  host?: string;
  /** Per-model profile patches merged over the defaults; `reset()` returns to them. */
  models?: Record<string, ModelProfilePatch>;
  /**
   * The simulator's clock in milliseconds (prompt-cache expiry, rate windows); `Date.now` by
   * default. A test passes its own to move time without waiting.
   */
  clock?: SimulatorClock;
}

/** A listening simulator. */
export interface RunningSimulator {
  /** e.g. `http://127.0.0.1:41234`, no trailing slash. OpenAI base URL: `${url}/v1`; Anthropic: `url`. */
  url: string;
  port: number;
  /** Stops listening and destroys every connection, hanging requests included. */
  close(): Promise<void>;
  counters(): SimulatorCounters;
  /** Zeroes counters and the request log; restores the profiles given at start. */
  reset(): void;
  /** Deep-merges per-model profile patches; throws on an invalid patch. */
  configure(patch: SimulatorConfigPatch): void;
}

/** Starts the LLM simulator on `host:port` (a free loopback port by default). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const simulator = createSimulatorServer({ models: options.models ?? {}, clock: options.clock });
  const { server } = simulator;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
    counters: simulator.counters,
    reset: simulator.reset,
    configure: simulator.configure,
  };
}
