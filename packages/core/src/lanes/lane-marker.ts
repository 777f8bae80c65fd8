import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { LuaScript } from '../redis/lua-script';

/**
 * Removes a lane's base wake-up marker (BullMQ's `marker` set, member `"0"`) when the lane has no
 * waiting job. KEYS the queue's marker set, wait list and prioritized set. Delayed jobs' marker
 * (member `"1"`) is left alone. A job added after this runs adds its own marker.
 */
const clearIdleMarkerScript = new LuaScript(`
if redis.call('LLEN', KEYS[2]) == 0 and redis.call('ZCARD', KEYS[3]) == 0 then
  return redis.call('ZREM', KEYS[1], '0')
end
return 0
`);

/**
 * Clears a lane's marker that announces a job no longer there.
 *
 * BullMQ's fetch (`moveToActive`) adds the marker each time it takes a job, so that another
 * worker blocked on the marker wakes and fetches the next one. When that job was the last one,
 * the marker wakes the next blocked reader for nothing: at one job at a time, the worker's own
 * blocking read (`BZPOPMIN`) returns at once, fetches again (an empty `moveToActive`) and blocks
 * again, two more commands and two more wake-ups of the worker and Redis per job, during the
 * job's provider call. Sent as the worker starts a job (not awaited, on the worker's connection,
 * so it leaves in the same write as the job's first commands), it removes the marker only when
 * the lane's wait list and prioritized set are empty, in one script, so no job is left without
 * a marker to wake a worker for it. Settles once done; a failure goes to `onError`.
 */
export function clearIdleMarker(
  redis: Redis,
  queue: Queue,
  onError: (error: unknown) => void = () => undefined,
): Promise<void> {
  return clearIdleMarkerScript
    .run(redis, [queue.toKey('marker'), queue.toKey('wait'), queue.toKey('prioritized')], [])
    .then(() => undefined, onError);
}
