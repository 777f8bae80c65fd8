import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { createRedisConnection } from '../redis/redis-connection';
import { RedisKeys } from '../redis/redis-keys';
import { AuditLog } from './audit-log';

const keys = new RedisKeys(uniquePrefix('test-audit'));
const redis = createRedisConnection({ url: testRedisUrl(), role: 'client' });

afterAll(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

it('appends to a stream, lists newest first with paging, and trims by age', async () => {
  const log = new AuditLog(redis, keys, { retentionDays: 90, maxEntries: 1000 });
  for (const action of ['key-create', 'key-revoke', 'request-denied']) {
    await log.append({
      action,
      actor: 'k1',
      outcome: 'success',
      tenant: 'acme',
      details: { n: 1 },
    });
  }
  const all = await log.list({ limit: 10 });
  expect(all.map((entry) => entry.action)).toEqual(['request-denied', 'key-revoke', 'key-create']);
  expect(all[0]).toMatchObject({
    actor: 'k1',
    tenant: 'acme',
    outcome: 'success',
    details: { n: 1 },
  });
  expect(Date.parse(all[0]?.at ?? '')).toBeGreaterThan(Date.now() - 60_000);
  const page = await log.list({ limit: 10, before: all[0]?.id });
  expect(page.map((entry) => entry.action)).toEqual(['key-revoke', 'key-create']);

  // 91 days later, an append trims everything older than the retention.
  const later = new AuditLog(
    redis,
    keys,
    { retentionDays: 90, maxEntries: 1000 },
    () => Date.now() + 91 * 86_400_000,
  );
  await later.append({ action: 'admin-login', actor: 'k2', outcome: 'success' });
  expect((await log.list({ limit: 10 })).map((entry) => entry.action)).toEqual(['admin-login']);
});
