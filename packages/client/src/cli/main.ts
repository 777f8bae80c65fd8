#!/usr/bin/env node
import { access, constants } from 'node:fs/promises';
import { Command } from 'commander';
import { type ApiKeyScope, type BatchView, finalBatchStatuses, type JobView } from '../api-types';
import { LlmqClient } from '../llmq-client';
import { isLlmqError, LlmqError } from '../llmq-error';
import { BatchProgress } from './batch-progress';
import { type CliEnv, loadCliEnv } from './env';

let env: CliEnv;
try {
  env = loadCliEnv();
} catch (error) {
  // A bad variable stops the CLI before any request, naming it (and no stack trace).
  process.stderr.write(`llmq: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
const program = new Command();
program
  .name('llmq')
  .description('Submit prompt jobs and batches to llmq')
  .option('--url <url>', 'llmq API base URL (env LLMQ_URL)', env.url)
  .option('--api-key <key>', 'API key (env LLMQ_API_KEY)', env.apiKey)
  .option('--interval <ms>', 'polling interval when waiting, ms', '500');

function client(): LlmqClient {
  const options = program.opts<{ url: string; apiKey?: string }>();
  return new LlmqClient({ baseUrl: options.url, apiKey: options.apiKey });
}

function interval(): number {
  return Number(program.opts<{ interval: string }>().interval) || 500;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

async function waitForJob(llmq: LlmqClient, jobId: string): Promise<JobView> {
  for (;;) {
    const job = await llmq.getJob(jobId);
    if (['completed', 'failed', 'cancelled'].includes(job.status)) return job;
    await sleep(interval());
  }
}

program
  .command('submit')
  .description('submit one prompt job')
  .argument('<prompt>', 'the prompt text')
  .option('-m, --model <model>', 'model id or alias')
  .option('-w, --wait', 'wait for the job and print its answer')
  .action(async (prompt: string, options: { model?: string; wait?: boolean }) => {
    const llmq = client();
    const job = await llmq.submitJob({
      prompt,
      ...(options.model ? { model: options.model } : {}),
    });
    if (!options.wait) {
      print(job);
      return;
    }
    const finished = await waitForJob(llmq, job.id);
    if (finished.status === 'completed' && finished.result) {
      process.stdout.write(`${finished.result.text}\n`);
      return;
    }
    print(finished);
    process.exitCode = 1;
  });

const jobs = program.command('jobs').description('read and cancel jobs');
jobs
  .command('get')
  .argument('<id>', 'job id')
  .action(async (id: string) => print(await client().getJob(id)));
jobs
  .command('cancel')
  .argument('<id>', 'job id')
  .action(async (id: string) => print(await client().cancelJob(id)));

async function waitForBatch(llmq: LlmqClient, batchId: string): Promise<BatchView> {
  const progress = new BatchProgress();
  try {
    for (;;) {
      const batch = await llmq.getBatch(batchId);
      progress.update(batch);
      if (finalBatchStatuses.includes(batch.status)) return batch;
      await sleep(interval());
    }
  } finally {
    progress.stop();
  }
}

function reportBatch(batch: BatchView): void {
  const { total, completed, failed } = batch.request_counts;
  process.stdout.write(
    `batch ${batch.id} ${batch.status}: ${completed} completed, ${failed} failed of ${total}\n`,
  );
  for (const error of batch.errors?.data ?? []) {
    process.stderr.write(`  line ${error.line ?? '-'}: ${error.code}: ${error.message}\n`);
  }
  if (batch.status !== 'completed') process.exitCode = 1;
}

const batch = program.command('batch').description('OpenAI-compatible batches of prompts');
batch
  .command('submit')
  .description('upload a JSONL file of {custom_id, method, url, body} lines and start a batch')
  .argument('<file>', 'the JSONL file')
  .option('-e, --endpoint <endpoint>', 'endpoint of every line', '/v1/chat/completions')
  .option('--window <window>', 'completion window', '24h')
  .option('-w, --wait', 'show progress until the batch ends')
  .action(async (file: string, options: { endpoint: string; window: string; wait?: boolean }) => {
    try {
      await access(file, constants.R_OK);
    } catch {
      throw new LlmqError('bad_file', `cannot read "${file}": no such file or no permission`);
    }
    const llmq = client();
    const uploaded = await llmq.uploadBatchFile(file);
    const created = await llmq.createBatch({
      input_file_id: uploaded.id,
      endpoint: options.endpoint as '/v1/chat/completions',
      completion_window: options.window,
    });
    if (!options.wait) {
      print(created);
      return;
    }
    process.stderr.write(`batch ${created.id} created from ${uploaded.id}\n`);
    reportBatch(await waitForBatch(llmq, created.id));
  });
batch
  .command('get')
  .argument('<id>', 'batch id')
  .action(async (id: string) => print(await client().getBatch(id)));
batch
  .command('wait')
  .argument('<id>', 'batch id')
  .action(async (id: string) => reportBatch(await waitForBatch(client(), id)));
batch
  .command('results')
  .description("download a batch's output (and error) file")
  .argument('<id>', 'batch id')
  .requiredOption('-o, --output <path>', 'where to write the output lines')
  .option('--errors <path>', 'where to write the error lines')
  .action(async (id: string, options: { output: string; errors?: string }) => {
    const llmq = client();
    const found = await llmq.getBatch(id);
    if (!found.output_file_id && !found.error_file_id) {
      throw new LlmqError(
        'no_results',
        `batch ${id} is ${found.status} and has no result files yet`,
      );
    }
    if (found.output_file_id) await llmq.downloadFile(found.output_file_id, options.output);
    if (found.error_file_id && options.errors)
      await llmq.downloadFile(found.error_file_id, options.errors);
    process.stdout.write(
      `batch ${id}: ${found.request_counts.completed} results written to ${options.output}` +
        (found.error_file_id
          ? options.errors
            ? `, ${found.request_counts.total - found.request_counts.completed} errors to ${options.errors}`
            : ' (errors not fetched: use --errors <path>)'
          : '') +
        '\n',
    );
  });
batch
  .command('cancel')
  .argument('<id>', 'batch id')
  .action(async (id: string) => print(await client().cancelBatch(id)));
batch
  .command('list')
  .option('--limit <n>', 'batches per page', '20')
  .action(async (options: { limit: string }) =>
    print(await client().listBatches({ limit: Number(options.limit) })),
  );

const scopesList = (value: string): ApiKeyScope[] =>
  value
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean) as ApiKeyScope[];

const keys = program.command('keys').description('manage API keys (needs an admin key)');
keys
  .command('create')
  .description('create a key; its secret is printed once')
  .requiredOption('-t, --tenant <tenant>', 'the tenant the key acts for')
  .requiredOption(
    '-s, --scopes <scopes>',
    'comma-separated: jobs:write,jobs:read,batches,usage,admin,admin:read',
  )
  .option('-n, --name <name>', 'a label for the key')
  .option('--expires-at <time>', 'ISO time after which the key stops working')
  .action(
    async (options: { tenant: string; scopes: string; name?: string; expiresAt?: string }) => {
      print(
        await client().createKey({
          tenant: options.tenant,
          scopes: scopesList(options.scopes),
          ...(options.name ? { name: options.name } : {}),
          ...(options.expiresAt ? { expires_at: options.expiresAt } : {}),
        }),
      );
    },
  );
keys
  .command('list')
  .option('-t, --tenant <tenant>', 'only this tenant')
  .action(async (options: { tenant?: string }) => print(await client().listKeys(options.tenant)));
keys
  .command('get')
  .argument('<id>', 'key id')
  .action(async (id: string) => print(await client().getKey(id)));
keys
  .command('revoke')
  .argument('<id>', 'key id')
  .action(async (id: string) => print(await client().revokeKey(id)));
keys
  .command('rotate')
  .description('issue a new key; the old one keeps working for the grace period')
  .argument('<id>', 'key id')
  .option('--grace <seconds>', 'how long the old key keeps working, seconds (default 86400)')
  .action(async (id: string, options: { grace?: string }) =>
    print(
      await client().rotateKey(id, options.grace === undefined ? undefined : Number(options.grace)),
    ),
  );

program
  .command('audit')
  .description('list admin actions and denied requests, newest first')
  .option('-l, --limit <n>', 'entries to show', '50')
  .option('--before <id>', 'entries older than this audit id')
  .action(async (options: { limit: string; before?: string }) =>
    print(
      await client().listAudit({
        limit: Number(options.limit),
        ...(options.before ? { before: options.before } : {}),
      }),
    ),
  );

program.parseAsync(process.argv).catch((error: unknown) => {
  if (isLlmqError(error)) {
    process.stderr.write(`llmq: ${error.message} (${error.code})\n`);
    const details = error.details as
      | { issues?: Array<{ path: string; message: string }> }
      | undefined;
    for (const issue of details?.issues ?? [])
      process.stderr.write(`  ${issue.path}: ${issue.message}\n`);
  } else {
    process.stderr.write(`llmq: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exitCode = process.exitCode || 1;
});
