import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorState } from './simulator-state';

/** Serves one request on one route and method. */
export type RouteHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  state: SimulatorState,
  /** The path, without the query string. */
  path: string,
) => Promise<void> | void;
