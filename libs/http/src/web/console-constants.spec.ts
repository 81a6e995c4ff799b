import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CASE_ACTIONS, CASE_STATUSES, ROLES, TRANSITION_ERROR_CODES } from '@app/domain';
import { CONSOLE_CONSTANTS_PATH, REGENERATE_COMMAND, consoleConstantsSource } from '../../../../scripts/generate-console-constants';

/**
 * The console (web/, plain ES modules without a build step) takes roles, case statuses, actions and transition error
 * codes from web/server-constants.js, which scripts/generate-console-constants.ts writes from the server's own
 * definitions. A change on the server that is not regenerated fails here, not in a browser.
 */
describe('the console’s server constants (web/server-constants.js)', () => {
  it('are what the server’s definitions give now', () => {
    const onDisk = readFileSync(CONSOLE_CONSTANTS_PATH, 'utf8');
    // Out of date: run the command in `regenerate` and commit web/server-constants.js.
    expect({ file: CONSOLE_CONSTANTS_PATH, upToDate: onDisk === consoleConstantsSource(), regenerate: REGENERATE_COMMAND }).toEqual({
      file: CONSOLE_CONSTANTS_PATH,
      upToDate: true,
      regenerate: REGENERATE_COMMAND,
    });
  });

  it('load in the browser’s way and hold the server’s lists', () => {
    // The generated file is an ES module: import it as the browser would (not through ts-jest's CommonJS).
    const script = `const m = await import(${JSON.stringify(CONSOLE_CONSTANTS_PATH)}); console.log(JSON.stringify(m));`;
    const stdout = execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const loaded = JSON.parse(stdout) as Record<string, unknown>;
    expect(loaded).toMatchObject({ ROLES, CASE_STATUSES, CASE_ACTIONS, TRANSITION_ERROR_CODES });
  });
});
