// `npm run audit:verify`: re-checks the audit hash chain and the evidence it seals (event payloads, files under
// the media root, pictures and photos included, transition and statement rows) and prints the result as JSON.
// Exit code 0 = intact, 1 = broken (firstBroken says where and why), 2 = could not check.
import 'reflect-metadata';
import { loadEnv } from '@app/config';
import { AuditVerifier } from '@app/core/case-loop/audit-verifier';
import { MediaStore, mediaDirOf } from '@app/core/case-loop/media-store';
import { AuditLogRepository, dataSourceOptions } from '@app/persistence';
import { DataSource } from 'typeorm';

async function main(): Promise<void> {
  const env = loadEnv();
  const url = env.DATABASE_URL ?? `postgres://postgres@127.0.0.1:${env.EMBEDDED_PG_PORT}/cloudpatrol`;
  const dataSource = await new DataSource(dataSourceOptions(url, env.DATABASE_SCHEMA)).initialize();
  try {
    const result = await new AuditVerifier(new AuditLogRepository(dataSource), new MediaStore(mediaDirOf(env))).verify();
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.exitCode = result.ok ? 0 : 1;
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`audit:verify could not check the log: ${err.message}\n`);
  process.exitCode = 2;
});
