import { createServer, type Server } from 'node:http';
import type { SimulatorCounters } from '../counters/simulator-counters';
import { getVocabulary } from '../generation/vocabulary';
import type { ModelProfilePatch } from '../profiles/model-profile';
import { routeRequest } from './route-request';
import type { SimulatorClock } from './simulator-clock';
import {
  configureSimulator,
  createSimulatorState,
  resetSimulator,
  type SimulatorConfigPatch,
  type SimulatorConfigSnapshot,
  simulatorConfig,
  simulatorCounters,
} from './simulator-state';

/** Options of `createSimulatorServer`. */
export interface SimulatorServerOptions {
  /** Per-model profile patches merged over the defaults; `reset()` returns to them. */
  models?: Record<string, ModelProfilePatch>;
  /** The simulator's clock (prompt-cache expiry, rate windows); `Date.now` by default. */
  clock?: SimulatorClock;
}

/** An HTTP server (not yet listening) and the handles to steer it in-process. */
export interface SimulatorServer {
  server: Server;
  counters(): SimulatorCounters;
  reset(): void;
  configure(patch: SimulatorConfigPatch): void;
  config(): SimulatorConfigSnapshot;
}

/** Builds the simulator's HTTP server; call `server.listen` to start it (or use `startSimulator`). */
export function createSimulatorServer(options: SimulatorServerOptions = {}): SimulatorServer {
  const state = createSimulatorState(options.models, options.clock);
  // Tokenize the reply vocabulary now rather than during the first request.
  getVocabulary();
  const server = createServer({ keepAlive: true, noDelay: true }, (request, response) => {
    routeRequest(request, response, state).catch((error: unknown) => {
      if (response.headersSent || response.destroyed) {
        response.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          error: { message: `Simulator failure: ${message}`, type: 'server_error' },
        }),
      );
    });
  });
  // Benchmarks hold many idle keep-alive connections between bursts.
  server.keepAliveTimeout = 65_000;
  return {
    server,
    counters: () => simulatorCounters(state),
    reset: () => resetSimulator(state),
    configure: (patch) => configureSimulator(state, patch),
    config: () => simulatorConfig(state),
  };
}
