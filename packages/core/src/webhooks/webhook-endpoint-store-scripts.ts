import { LuaScript } from '../redis/lua-script';

// Lua of the webhook endpoint store (webhook-endpoint-store.ts).

/**
 * Moves the current secret to `previous` (valid until ARGV[2]) and installs ARGV[1]; one script
 * so two concurrent rotations cannot lose a secret. Creates the hash when ARGV[3] is 1.
 *
 * KEYS: the secret ring's hash (an endpoint's, or a tenant's per-job secret).
 * ARGV: the new secret, when the previous one stops signing (epoch ms), create (1 or 0).
 * Returns 1, or 0 when there was no secret and create is 0.
 */
export const rotateScript = new LuaScript(`
local current = redis.call('HGET', KEYS[1], 'secret')
if not current then
  if ARGV[3] ~= '1' then return 0 end
  redis.call('HSET', KEYS[1], 'secret', ARGV[1])
  return 1
end
redis.call('HSET', KEYS[1], 'secret', ARGV[1], 'previous_secret', current, 'previous_expires_at', ARGV[2])
return 1`);
