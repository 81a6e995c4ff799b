/**
 * Writes web/server-constants.js: the roles, case statuses, actions (with the roles that may take them) and
 * transition error codes the browser console uses, taken from the server's own definitions so they are never
 * copied by hand. The console is plain ES modules without a build step, so the module is generated and committed.
 *
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register scripts/generate-console-constants.ts           # writes it
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register scripts/generate-console-constants.ts --check   # exits 1 when stale
 *
 * libs/http/src/web/console-constants.spec.ts fails while the committed file differs from what this produces.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CASE_ACTION_RULES, CASE_ACTIONS, CASE_STATUSES, OPEN_CASE_STATUSES, ROLES, TRANSITION_ERROR_CODES, isOpenStatus } from '@app/domain';
// The decorator's file only (not the whole of @app/core, which would load the database and broker modules).
import { CASE_READERS } from '@app/core/auth/access.decorator';

export const CONSOLE_CONSTANTS_PATH = join(__dirname, '..', 'web', 'server-constants.js');
export const REGENERATE_COMMAND = 'node -r ts-node/register/transpile-only -r tsconfig-paths/register scripts/generate-console-constants.ts';

/** A string literal in the console's style (single quotes). */
function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** A frozen array whose element types are the literals themselves (a JSDoc const assertion): the list that defines a type. */
function frozenTuple(values: readonly string[]): string {
  return `Object.freeze(/** @type {const} */ ([${values.map(literal).join(', ')}]))`;
}

/** A frozen array of a type defined above (so `.includes(x)` takes any x of that type). */
function frozenList(values: readonly string[]): string {
  return `Object.freeze([${values.map(literal).join(', ')}])`;
}

/** An object key: bare when it is an identifier, quoted otherwise. */
function key(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : literal(name);
}

/** The text of web/server-constants.js. */
export function consoleConstantsSource(): string {
  const closed = CASE_STATUSES.filter((status) => !isOpenStatus(status));
  const actionRoles = CASE_ACTIONS.map((action) => `  ${key(action)}: /** @type {readonly Role[]} */ (${frozenList(CASE_ACTION_RULES[action].roles)}),`);
  return [
    "// GENERATED from the server's definitions by scripts/generate-console-constants.ts: do not edit.",
    `// Regenerate with: ${REGENERATE_COMMAND}`,
    '// (libs/http/src/web/console-constants.spec.ts fails while this file is out of date.)',
    '',
    '/** Who may act (libs/domain/src/access/actor.ts, ROLES). */',
    `export const ROLES = ${frozenTuple(ROLES)};`,
    '/** @typedef {(typeof ROLES)[number]} Role */',
    '',
    '/**',
    ' * Staff roles that read cases and alerts (libs/core/src/auth/access.decorator.ts, CASE_READERS).',
    ' * @type {readonly Role[]}',
    ' */',
    `export const CASE_READER_ROLES = ${frozenList(CASE_READERS)};`,
    '',
    '/** The case lifecycle (libs/domain/src/cases/case-state-machine.ts, CASE_STATUSES). */',
    `export const CASE_STATUSES = ${frozenTuple(CASE_STATUSES)};`,
    '/** @typedef {(typeof CASE_STATUSES)[number]} CaseStatus */',
    '',
    '/**',
    ' * Statuses in which the loop is still running: the case is open (OPEN_CASE_STATUSES).',
    ' * @type {readonly CaseStatus[]}',
    ' */',
    `export const OPEN_CASE_STATUSES = ${frozenList(OPEN_CASE_STATUSES)};`,
    '',
    '/**',
    ' * Statuses in which the loop has ended (every status that is not open).',
    ' * @type {readonly CaseStatus[]}',
    ' */',
    `export const CLOSED_CASE_STATUSES = ${frozenList(closed)};`,
    '',
    '/** What can be done to a case (CASE_ACTIONS). */',
    `export const CASE_ACTIONS = ${frozenTuple(CASE_ACTIONS)};`,
    '/** @typedef {(typeof CASE_ACTIONS)[number]} CaseAction */',
    '',
    '/**',
    ' * The roles that may take each action (CASE_ACTION_RULES); scope and state are checked by the server.',
    ' * @type {Readonly<Record<CaseAction, readonly Role[]>>}',
    ' */',
    'export const CASE_ACTION_ROLES = Object.freeze({',
    ...actionRoles,
    '});',
    '',
    '/** Why the server refuses a transition: the `error` of its answer (TRANSITION_ERROR_CODES). */',
    `export const TRANSITION_ERROR_CODES = ${frozenTuple(TRANSITION_ERROR_CODES)};`,
    '/** @typedef {(typeof TRANSITION_ERROR_CODES)[number]} TransitionErrorCode */',
    '',
  ].join('\n');
}

/** Whether the file on disk is what the server's definitions give now. */
export function consoleConstantsUpToDate(path: string = CONSOLE_CONSTANTS_PATH): boolean {
  try {
    return readFileSync(path, 'utf8') === consoleConstantsSource();
  } catch {
    return false;
  }
}

function main(): void {
  if (process.argv.includes('--check')) {
    if (consoleConstantsUpToDate()) {
      console.log(`${CONSOLE_CONSTANTS_PATH} is up to date`);
      return;
    }
    console.error(`${CONSOLE_CONSTANTS_PATH} is out of date: run ${REGENERATE_COMMAND}`);
    process.exit(1);
  }
  writeFileSync(CONSOLE_CONSTANTS_PATH, consoleConstantsSource());
  console.log(`wrote ${CONSOLE_CONSTANTS_PATH}`);
}

if (require.main === module) main();
