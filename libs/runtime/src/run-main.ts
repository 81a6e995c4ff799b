import { ConfigError, loadEnv } from '@app/config';
import type { RunMode } from './app-modules';
import { startCloudPatrol } from './cloudpatrol.app';
import { startGateway } from './gateway.app';

/** Entry point of each app: a bad setting stops the start with one line per problem and exit code 78. */
export async function runMain(mode: RunMode | 'gateway'): Promise<void> {
  try {
    const env = loadEnv();
    const running = mode === 'gateway' ? await startGateway(env) : await startCloudPatrol(mode, env);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      running.logger.info({ signal }, 'stopping');
      void running.stop().then(() => process.exit(0));
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`CloudPatrol cannot start. ${err.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`CloudPatrol cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
