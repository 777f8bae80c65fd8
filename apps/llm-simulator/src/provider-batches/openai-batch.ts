import { randomIdSuffix } from '../model-call/create-id';
import type { LineOutcome } from './answer-batch-line';
import {
  type BatchProgress,
  batchProgress,
  finalOutcomes,
  type SimulatedBatch,
} from './simulated-batch';
import type { SimulatorFiles } from './simulator-files';

/** One validation failure of a batch input file (OpenAI's `errors.data[]`). */
export interface BatchInputError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

/** A batch of OpenAI's Batch API as the simulator keeps it. */
export interface OpenAiBatch extends SimulatedBatch {
  endpoint: string;
  inputFileId: string;
  completionWindow: string;
  metadata: Record<string, string> | null;
  /** Set when the input file was invalid: the batch is `failed` and runs nothing. */
  inputErrors?: BatchInputError[];
  /** The output and error files, written once when the batch ends. */
  files?: { output: string | null; error: string | null };
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** The Batch API's batch object at `now` (writing its output files once it has ended). */
export function openAiBatchObject(
  batch: OpenAiBatch,
  now: number,
  files: SimulatorFiles,
  statusOverride?: 'validating' | 'cancelling',
): Record<string, unknown> {
  const base = {
    id: batch.id,
    object: 'batch',
    endpoint: batch.endpoint,
    model: null,
    errors: null as unknown,
    input_file_id: batch.inputFileId,
    completion_window: batch.completionWindow,
    created_at: seconds(batch.createdAt),
    expires_at: seconds(batch.expiresAt),
    in_progress_at: null as number | null,
    finalizing_at: null as number | null,
    completed_at: null as number | null,
    failed_at: null as number | null,
    expired_at: null as number | null,
    cancelling_at: batch.cancelledAt === undefined ? null : seconds(batch.cancelledAt),
    cancelled_at: null as number | null,
    output_file_id: null as string | null,
    error_file_id: null as string | null,
    request_counts: { total: batch.lines.length, completed: 0, failed: 0 },
    metadata: batch.metadata,
  };
  if (batch.inputErrors !== undefined) {
    return {
      ...base,
      status: 'failed',
      failed_at: seconds(batch.createdAt),
      errors: { object: 'list', data: batch.inputErrors },
      request_counts: { total: 0, completed: 0, failed: 0 },
    };
  }
  const progress = batchProgress(batch, now);
  const counts = {
    total: batch.lines.length,
    completed: progress.succeeded,
    failed: progress.errored,
  };
  const running = { ...base, in_progress_at: seconds(batch.createdAt), request_counts: counts };
  if (progress.end === undefined || statusOverride !== undefined) {
    return { ...running, status: statusOverride ?? 'in_progress' };
  }
  batch.files ??= writeOutputFiles(batch, progress, files, now);
  const ended = {
    ...running,
    finalizing_at: seconds(progress.end.at),
    output_file_id: batch.files.output,
    error_file_id: batch.files.error,
  };
  switch (progress.end.reason) {
    case 'completed':
      return { ...ended, status: 'completed', completed_at: seconds(progress.end.at) };
    case 'cancelled':
      return { ...ended, status: 'cancelled', cancelled_at: seconds(progress.end.at) };
    case 'expired':
      return { ...ended, status: 'expired', expired_at: seconds(progress.end.at) };
  }
}

/**
 * The output file (lines answered 200) and the error file (lines that failed, and those
 * cancelled or expired before they ran), in OpenAI's line format; absent when empty.
 */
function writeOutputFiles(
  batch: OpenAiBatch,
  progress: BatchProgress,
  files: SimulatorFiles,
  now: number,
): { output: string | null; error: string | null } {
  const output: string[] = [];
  const errors: string[] = [];
  finalOutcomes(batch, progress).forEach((outcome, index) => {
    const customId = (batch.lines[index] as { customId: string }).customId;
    const line = outputLine(customId, outcome);
    (outcome.kind === 'succeeded' ? output : errors).push(line);
  });
  const write = (lines: string[], name: string) =>
    lines.length === 0
      ? null
      : files.add(
          `batch_${batch.id}_${name}.jsonl`,
          'batch_output',
          Buffer.from(`${lines.join('\n')}\n`),
          now,
        ).id;
  return { output: write(output, 'output'), error: write(errors, 'error') };
}

function outputLine(customId: string, outcome: LineOutcome): string {
  const head = `{"id":"batch_req_${randomIdSuffix(32)}","custom_id":${JSON.stringify(customId)}`;
  const requestId = `req_${randomIdSuffix(32)}`;
  switch (outcome.kind) {
    case 'succeeded':
      return `${head},"response":{"status_code":200,"request_id":"${requestId}","body":${outcome.body}},"error":null}`;
    case 'errored': {
      const { status, message, param, code } = outcome.error;
      const body = JSON.stringify({
        error: {
          message,
          type: status >= 500 ? 'server_error' : 'invalid_request_error',
          param: param ?? null,
          code: code ?? null,
        },
      });
      return `${head},"response":{"status_code":${status},"request_id":"${requestId}","body":${body}},"error":null}`;
    }
    case 'canceled':
      return `${head},"response":null,"error":{"code":"batch_cancelled","message":"This request was not executed because the batch was cancelled."}}`;
    case 'expired':
      return `${head},"response":null,"error":{"code":"batch_expired","message":"This request could not be executed before the completion window expired."}}`;
  }
}
