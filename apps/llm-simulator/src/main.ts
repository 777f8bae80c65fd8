import { parseEnvironment } from './env';
import { readConfigFile } from './profiles/read-config-file';
import { startSimulator } from './start-simulator';

function log(level: 'info' | 'error', event: string, fields: Record<string, unknown>): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, event, ...fields });
  if (level === 'error') console.error(line);
  else console.log(line);
}

async function main(): Promise<void> {
  const environment = parseEnvironment();
  const config = environment.SIMULATOR_CONFIG ? readConfigFile(environment.SIMULATOR_CONFIG) : {};
  const simulator = await startSimulator({
    port: environment.SIMULATOR_PORT,
    host: environment.SIMULATOR_HOST,
    models: config.models ?? {},
  });
  log('info', 'simulator-start', { url: simulator.url, openAiBaseUrl: `${simulator.url}/v1` });
  const stop = (signal: NodeJS.Signals) => {
    simulator.close().then(
      () => {
        log('info', 'simulator-stop', { signal });
        process.exit(0);
      },
      (error: unknown) => {
        log('error', 'simulator-stop', { signal, error: String(error) });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  log('error', 'simulator-start', {
    error: error instanceof Error ? error.message : String(error),
  });
  process.exit(1);
});
