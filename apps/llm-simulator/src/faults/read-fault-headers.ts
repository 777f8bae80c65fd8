import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { type FaultKind, faultKindSchema } from './fault-kind';

/** What a request asks of the simulator through its `x-sim-*` headers. */
export interface FaultHeaders {
  /** `x-sim-fault`: the fault to inject. */
  fault: FaultKind | null;
  /** `x-sim-fault-rate`: probability (0..1) of injecting `fault`. Default 1. */
  faultRate: number;
  /** `x-sim-retry-after`: seconds announced on 429, 503 and 529 answers. */
  retryAfterSeconds: number | null;
  /** `x-sim-latency-ms`: replaces the model's `latencyMs`. */
  latencyMs: number | null;
}

const NO_FAULT_HEADERS: Readonly<FaultHeaders> = Object.freeze({
  fault: null,
  faultRate: 1,
  retryAfterSeconds: null,
  latencyMs: null,
});

const number = (minimum: number, maximum: number) =>
  z.string().trim().min(1).pipe(z.coerce.number<string>().min(minimum).max(maximum));

const faultHeadersSchema = z.object({
  'x-sim-fault': faultKindSchema.optional(),
  'x-sim-fault-rate': number(0, 1).optional(),
  'x-sim-retry-after': number(0, 3600).optional(),
  'x-sim-latency-ms': number(0, 3_600_000).optional(),
});

/** The `x-sim-*` headers of a request, or the reason they are invalid. */
export function readFaultHeaders(
  headers: IncomingHttpHeaders,
): { ok: true; value: FaultHeaders } | { ok: false; message: string } {
  const raw = {
    'x-sim-fault': headers['x-sim-fault'],
    'x-sim-fault-rate': headers['x-sim-fault-rate'],
    'x-sim-retry-after': headers['x-sim-retry-after'],
    'x-sim-latency-ms': headers['x-sim-latency-ms'],
  };
  // Most requests carry none of them: skip the schema on the hot path.
  if (
    raw['x-sim-fault'] === undefined &&
    raw['x-sim-fault-rate'] === undefined &&
    raw['x-sim-retry-after'] === undefined &&
    raw['x-sim-latency-ms'] === undefined
  ) {
    return { ok: true, value: NO_FAULT_HEADERS };
  }
  const parsed = faultHeadersSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: `Invalid header ${String(issue?.path[0])}: ${issue?.message}` };
  }
  return {
    ok: true,
    value: {
      fault: parsed.data['x-sim-fault'] ?? null,
      faultRate: parsed.data['x-sim-fault-rate'] ?? 1,
      retryAfterSeconds: parsed.data['x-sim-retry-after'] ?? null,
      latencyMs: parsed.data['x-sim-latency-ms'] ?? null,
    },
  };
}
