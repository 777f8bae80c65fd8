/**
 * Catches SIGTERM and SIGINT from the very start of a process, before its workers and servers
 * are up: a signal that arrives during startup is held and handed to the shutdown routine once
 * it exists, instead of killing the process mid-job with Node's default action.
 */
export function catchShutdownSignals(): {
  onShutdown(stop: (signal: string) => Promise<void>): void;
} {
  let pending: string | undefined;
  let handler: ((signal: string) => Promise<void>) | undefined;
  const receive = (signal: string) => {
    if (handler) void handler(signal);
    else pending = signal;
  };
  process.on('SIGTERM', () => receive('SIGTERM'));
  process.on('SIGINT', () => receive('SIGINT'));
  return {
    onShutdown(stop) {
      handler = stop;
      if (pending) void stop(pending);
    },
  };
}
