import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repositoryRoot, testEnv } from '@llmq/testing';
import { batchLines, parseJsonl } from './batch-helpers';
import { apiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;

const cliEntry = path.join(repositoryRoot, 'packages', 'client', 'dist', 'cli', 'main.js');
const run = promisify(execFile);

let system: System;
/** The install's bootstrap admin key (`ADMIN_API_KEY`). */
const cliAdminKey = 'cli-admin-key-for-tests-000000001';
let directory: string;

beforeAll(async () => {
  system = await startSystem({
    workerEnv: { BULK_WORKER_CONCURRENCY: '50' },
    apiEnv: { ADMIN_API_KEY: cliAdminKey },
  });
  directory = await mkdtemp(path.join(tmpdir(), 'llmq-cli-'));
});

afterAll(async () => {
  await system?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

/** Runs the built `llmq` CLI as a process; resolves with its exit code and output. */
async function llmq(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [cliEntry, '--interval', '100', ...args],
      {
        env: {
          PATH: testEnv().PATH,
          LLMQ_URL: system.apiUrl,
          LLMQ_API_KEY: apiKey,
          ...env,
        },
        timeout: 30_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

test('llmq batch submit --wait, then batch results, fetch every line', async () => {
  const input = path.join(directory, 'input.jsonl');
  await writeFile(input, batchLines(50));
  const submitted = await llmq(['batch', 'submit', input, '--wait']);
  expect(submitted.stderr).toMatch(/batch batch_\w+ created/);
  expect(submitted.code).toBe(0);
  const summary = /batch (batch_\w+) completed: 50 completed, 0 failed of 50/.exec(
    submitted.stdout,
  );
  expect(summary).not.toBeNull();
  const batchId = summary![1]!;

  const output = path.join(directory, 'out.jsonl');
  const results = await llmq(['batch', 'results', batchId, '-o', output]);
  expect(results.code).toBe(0);
  const lines = parseJsonl<{ custom_id: string }>(await readFile(output, 'utf8'));
  expect(lines.map((line) => line.custom_id).sort()).toEqual(
    Array.from({ length: 50 }, (_, index) => `request-${index}`).sort(),
  );
});

test('llmq submit --wait prints the answer; jobs get shows the job', async () => {
  const answer = await llmq(['submit', 'Say hello', '--model', 'sim-gpt-fast', '--wait']);
  expect(answer.code).toBe(0);
  expect(answer.stdout.trim().length).toBeGreaterThan(0);
  const submitted = await llmq(['submit', 'Say hello']);
  const job = JSON.parse(submitted.stdout) as { id: string };
  const got = await llmq(['jobs', 'get', job.id]);
  expect(JSON.parse(got.stdout)).toMatchObject({ id: job.id, object: 'job' });
});

test('clear messages for a bad file, a missing key, an unreachable server and a bad LLMQ_URL', async () => {
  const missingFile = await llmq(['batch', 'submit', path.join(directory, 'nope.jsonl')]);
  expect(missingFile.code).toBe(1);
  expect(missingFile.stderr).toMatch(/cannot read .*nope\.jsonl/);

  const bad = path.join(directory, 'bad.jsonl');
  await writeFile(
    bad,
    '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{}}\nnot json\n',
  );
  const invalid = await llmq(['batch', 'submit', bad, '--wait']);
  expect(invalid.code).toBe(1);
  expect(invalid.stdout).toMatch(/failed/);
  expect(invalid.stderr).toMatch(/line 1: invalid_body/);
  expect(invalid.stderr).toMatch(/line 2: invalid_json_line/);

  const noKey = await llmq(['jobs', 'get', 'job_x'], { LLMQ_API_KEY: '' });
  expect(noKey.code).toBe(1);
  expect(noKey.stderr).toMatch(/no API key/);

  const wrongKey = await llmq(['jobs', 'get', 'job_x'], { LLMQ_API_KEY: 'not-a-key-000' });
  expect(wrongKey.stderr).toMatch(/invalid_api_key/);

  const unreachable = await llmq(['jobs', 'get', 'job_x'], { LLMQ_URL: 'http://127.0.0.1:9' });
  expect(unreachable.code).toBe(1);
  expect(unreachable.stderr).toMatch(/cannot reach the llmq API at http:\/\/127\.0\.0\.1:9/);

  // A bad variable stops the CLI before any request, naming the variable.
  const badUrl = await llmq(['jobs', 'get', 'job_x'], { LLMQ_URL: '127.0.0.1:3000' });
  expect(badUrl.code).toBe(1);
  expect(badUrl.stderr).toBe('llmq: invalid environment: LLMQ_URL: Invalid URL\n');
});

test('llmq keys: an admin creates, lists, rotates and revokes keys; the audit log shows it', async () => {
  const admin = { LLMQ_API_KEY: cliAdminKey };
  const created = await llmq(
    ['keys', 'create', '--tenant', 'acme', '--scopes', 'jobs:write,jobs:read', '--name', 'ci'],
    admin,
  );
  expect(created.code).toBe(0);
  const key = JSON.parse(created.stdout) as { id: string; key: string; tenant: string };
  expect(key).toMatchObject({ tenant: 'acme', scopes: ['jobs:write', 'jobs:read'], name: 'ci' });
  expect(key.key).toMatch(/^llmq_/);

  // The new key works for its tenant...
  const answered = await llmq(['submit', 'echo: made with a CLI key', '--wait'], {
    LLMQ_API_KEY: key.key,
  });
  expect(answered).toMatchObject({ code: 0, stdout: 'made with a CLI key\n' });
  // ...but is no admin key.
  const notAdmin = await llmq(['keys', 'list'], { LLMQ_API_KEY: key.key });
  expect(notAdmin.code).toBe(1);
  expect(notAdmin.stderr).toMatch(/insufficient_scope/);

  const listed = await llmq(['keys', 'list', '--tenant', 'acme'], admin);
  const listedIds = (JSON.parse(listed.stdout) as { data: Array<{ id: string }> }).data.map(
    (entry) => entry.id,
  );
  expect(listedIds).toContain(key.id);
  // The secret is shown once, at creation, never in a listing.
  expect(listed.stdout).not.toContain(key.key);

  const rotated = await llmq(['keys', 'rotate', key.id, '--grace', '0'], admin);
  const rotation = JSON.parse(rotated.stdout) as { id: string; key: string };
  expect(rotation.key).not.toBe(key.key);
  const withRotated = await llmq(['submit', 'echo: rotated', '--wait'], {
    LLMQ_API_KEY: rotation.key,
  });
  expect(withRotated.stdout).toBe('rotated\n');

  const revoked = await llmq(['keys', 'revoke', rotation.id], admin);
  expect(revoked.code).toBe(0);
  const refused = await llmq(['jobs', 'get', 'job_x'], { LLMQ_API_KEY: rotation.key });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/invalid_api_key/);

  const audit = await llmq(['audit', '--limit', '50'], admin);
  const actions = (JSON.parse(audit.stdout) as { data: Array<{ action: string }> }).data.map(
    (entry) => entry.action,
  );
  expect(actions).toEqual(expect.arrayContaining(['key-create', 'key-rotate', 'key-revoke']));
});
