import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { simulatorConfigSchema } from '../profiles/model-profile';
import { parseJson, readRequestBody } from '../server/read-request-body';
import { sendJson } from '../server/send-json';
import {
  configureSimulator,
  resetSimulator,
  type SimulatorState,
  simulatorConfig,
  simulatorCounters,
} from '../server/simulator-state';

// The `/_sim/*` routes steer the simulator from tests and scripts in other processes. They
// need no credentials: the simulator binds to loopback unless told otherwise.

function sendControlError(response: ServerResponse, status: number, message: string): void {
  sendJson(response, status, JSON.stringify({ error: { message, type: 'invalid_request_error' } }));
}

/** `GET /_sim/health` → `{ok: true}`. */
export function getHealth(_request: IncomingMessage, response: ServerResponse): void {
  sendJson(response, 200, '{"ok":true}');
}

/** `GET /_sim/counters` → `SimulatorCounters`. */
export function getCounters(
  _request: IncomingMessage,
  response: ServerResponse,
  state: SimulatorState,
): void {
  sendJson(response, 200, JSON.stringify(simulatorCounters(state)));
}

/** `POST /_sim/reset`: zero the counters and request log, restore the starting profiles. */
export function postReset(
  _request: IncomingMessage,
  response: ServerResponse,
  state: SimulatorState,
): void {
  resetSimulator(state);
  sendJson(response, 200, '{"ok":true}');
}

/** `GET /_sim/config` → `SimulatorConfigSnapshot`. */
export function getConfig(
  _request: IncomingMessage,
  response: ServerResponse,
  state: SimulatorState,
): void {
  sendJson(response, 200, JSON.stringify(simulatorConfig(state)));
}

/** `PUT /_sim/config` with `{models: {...}}`: deep-merges the patches, answers the new config. */
export async function putConfig(
  request: IncomingMessage,
  response: ServerResponse,
  state: SimulatorState,
): Promise<void> {
  const body = await readRequestBody(request);
  if (!body.ok) return sendControlError(response, 413, 'Request body too large.');
  const json = parseJson(body.text);
  if (!json.ok) return sendControlError(response, 400, `Invalid JSON: ${json.message}`);
  const patch = simulatorConfigSchema.safeParse(json.value);
  if (!patch.success) return sendControlError(response, 400, z.prettifyError(patch.error));
  configureSimulator(state, patch.data);
  sendJson(response, 200, JSON.stringify(simulatorConfig(state)));
}
