import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import { rotateScript } from './webhook-endpoint-store-scripts';
import {
  type WebhookDeliveryEvent,
  type WebhookFormat,
  webhookDeliveryEventSchema,
  webhookFormatSchema,
} from './webhook-event';
import { generateWebhookSecret, type SecretRing, secretRingFromFields } from './webhook-secret';

/** A tenant's default webhook endpoint: every job of the tenant is posted to it. */
export interface WebhookEndpoint {
  /** `whep_…` */
  id: string;
  tenant: string;
  url: string;
  /** The body format it receives (`llmq` for endpoints made before formats existed). */
  format: WebhookFormat;
  /** Events of its format it subscribes to. */
  events: WebhookDeliveryEvent[];
  description?: string;
  /** True once the receiver answered 410 Gone (or an operator disabled it). */
  disabled: boolean;
  disabledReason?: string;
  createdAt: number;
  secrets: SecretRing;
}

export interface WebhookEndpointStoreOptions {
  /** How long a rotated-out secret keeps signing, seconds (env `WEBHOOK_SECRET_ROTATION_SECONDS`, default 86400). */
  rotationWindowSeconds?: number;
}

/** Tenants' webhook endpoints and signing secrets, in Redis. Every read is scoped to a tenant. */
export class WebhookEndpointStore {
  private readonly rotationWindowMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    options: WebhookEndpointStoreOptions = {},
  ) {
    this.rotationWindowMs = (options.rotationWindowSeconds ?? 86_400) * 1000;
  }

  async create(
    tenant: string,
    input: {
      url: string;
      /** Default `llmq`. */
      format?: WebhookFormat;
      events: WebhookDeliveryEvent[];
      description?: string;
    },
  ): Promise<WebhookEndpoint> {
    const endpoint: WebhookEndpoint = {
      id: `whep_${randomUUID().replace(/-/g, '')}`,
      tenant,
      url: input.url,
      format: input.format ?? 'llmq',
      events: input.events,
      description: input.description,
      disabled: false,
      createdAt: Date.now(),
      secrets: { current: generateWebhookSecret() },
    };
    const fields: Record<string, string | number> = {
      id: endpoint.id,
      tenant,
      url: endpoint.url,
      format: endpoint.format,
      events: JSON.stringify(endpoint.events),
      disabled: 0,
      created_at: endpoint.createdAt,
      secret: endpoint.secrets.current,
    };
    if (input.description !== undefined) fields.description = input.description;
    await this.redis
      .multi()
      .hset(this.keys.webhookEndpoint(endpoint.id), fields)
      .sadd(this.keys.tenantWebhookEndpoints(tenant), endpoint.id)
      .exec();
    return endpoint;
  }

  /** The tenant's endpoints, oldest first. */
  async list(tenant: string): Promise<WebhookEndpoint[]> {
    const ids = await this.redis.smembers(this.keys.tenantWebhookEndpoints(tenant));
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.webhookEndpoint(id));
    const results = (await pipeline.exec()) ?? [];
    return results
      .map(([, fields]) => parseEndpoint(fields as Record<string, string>))
      .filter((endpoint): endpoint is WebhookEndpoint => endpoint?.tenant === tenant)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** An endpoint of this tenant, or null (another tenant's endpoint is null too). */
  async get(tenant: string, endpointId: string): Promise<WebhookEndpoint | null> {
    const endpoint = await this.getById(endpointId);
    return endpoint?.tenant === tenant ? endpoint : null;
  }

  /** For the delivery worker, which already knows the tenant from the delivery. */
  async getById(endpointId: string): Promise<WebhookEndpoint | null> {
    return parseEndpoint(await this.redis.hgetall(this.keys.webhookEndpoint(endpointId)));
  }

  async delete(tenant: string, endpointId: string): Promise<boolean> {
    if (!(await this.get(tenant, endpointId))) return false;
    await this.redis
      .multi()
      .del(this.keys.webhookEndpoint(endpointId))
      .srem(this.keys.tenantWebhookEndpoints(tenant), endpointId)
      .exec();
    return true;
  }

  /** Installs a new secret; the old one keeps signing for the rotation window. */
  async rotate(tenant: string, endpointId: string): Promise<WebhookEndpoint | null> {
    if (!(await this.get(tenant, endpointId))) return null;
    await rotateScript.run(
      this.redis,
      [this.keys.webhookEndpoint(endpointId)],
      [generateWebhookSecret(), Date.now() + this.rotationWindowMs, 0],
    );
    return this.get(tenant, endpointId);
  }

  /** Stops deliveries to an endpoint (a 410 Gone from the receiver). */
  async disable(endpointId: string, reason: string): Promise<void> {
    const key = this.keys.webhookEndpoint(endpointId);
    // Only an existing endpoint: a deleted one must not come back as a stub.
    if ((await this.redis.exists(key)) === 1)
      await this.redis.hset(key, 'disabled', 1, 'disabled_reason', reason);
  }

  /** Whether the tenant has any endpoint (disabled ones count; the relay filters them). */
  async hasEndpoints(tenant: string): Promise<boolean> {
    return (await this.redis.scard(this.keys.tenantWebhookEndpoints(tenant))) > 0;
  }

  /** The secrets signing the tenant's per-job webhooks, created on first use. */
  async tenantSecrets(tenant: string): Promise<SecretRing> {
    const key = this.keys.tenantWebhookSecret(tenant);
    await this.redis.hsetnx(key, 'secret', generateWebhookSecret());
    const ring = secretRingFromFields(await this.redis.hgetall(key));
    if (!ring) throw new Error('tenant webhook secret vanished');
    return ring;
  }

  /** Rotates the tenant's per-job webhook secret. */
  async rotateTenantSecrets(tenant: string): Promise<SecretRing> {
    await rotateScript.run(
      this.redis,
      [this.keys.tenantWebhookSecret(tenant)],
      [generateWebhookSecret(), Date.now() + this.rotationWindowMs, 1],
    );
    return this.tenantSecrets(tenant);
  }
}

function parseEndpoint(fields: Record<string, string>): WebhookEndpoint | null {
  const secrets = secretRingFromFields(fields);
  if (!fields.id || !fields.tenant || !secrets) return null;
  const events = webhookDeliveryEventSchema.array().safeParse(JSON.parse(fields.events ?? '[]'));
  const format = webhookFormatSchema.safeParse(fields.format ?? 'llmq');
  return {
    id: fields.id,
    tenant: fields.tenant,
    url: fields.url ?? '',
    // An unknown format (written by a newer version) receives nothing rather than a wrong body.
    format: format.success ? format.data : 'llmq',
    events: events.success && format.success ? events.data : [],
    description: fields.description || undefined,
    disabled: fields.disabled === '1',
    disabledReason: fields.disabled_reason || undefined,
    createdAt: Number(fields.created_at ?? 0),
    secrets,
  };
}
