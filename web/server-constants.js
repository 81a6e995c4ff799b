// GENERATED from the server's definitions by scripts/generate-console-constants.ts: do not edit.
// Regenerate with: node -r ts-node/register/transpile-only -r tsconfig-paths/register scripts/generate-console-constants.ts
// (libs/http/src/web/console-constants.spec.ts fails while this file is out of date.)

/** Who may act (libs/domain/src/access/actor.ts, ROLES). */
export const ROLES = Object.freeze(/** @type {const} */ (['operator', 'supervisor', 'pilot', 'township_officer', 'department_liaison', 'admin', 'device']));
/** @typedef {(typeof ROLES)[number]} Role */

/**
 * Staff roles that read cases and alerts (libs/core/src/auth/access.decorator.ts, CASE_READERS).
 * @type {readonly Role[]}
 */
export const CASE_READER_ROLES = Object.freeze(['operator', 'supervisor', 'admin', 'township_officer']);

/** The case lifecycle (libs/domain/src/cases/case-state-machine.ts, CASE_STATUSES). */
export const CASE_STATUSES = Object.freeze(/** @type {const} */ (['detected', 'registered', 'rejected', 'dispatched', 'in_progress', 'reported', 'closed']));
/** @typedef {(typeof CASE_STATUSES)[number]} CaseStatus */

/**
 * Statuses in which the loop is still running: the case is open (OPEN_CASE_STATUSES).
 * @type {readonly CaseStatus[]}
 */
export const OPEN_CASE_STATUSES = Object.freeze(['detected', 'registered', 'dispatched', 'in_progress', 'reported']);

/**
 * Statuses in which the loop has ended (every status that is not open).
 * @type {readonly CaseStatus[]}
 */
export const CLOSED_CASE_STATUSES = Object.freeze(['rejected', 'closed']);

/** What can be done to a case (CASE_ACTIONS). */
export const CASE_ACTIONS = Object.freeze(/** @type {const} */ (['review-register', 'reject', 'dispatch', 'accept', 'report-back', 'verify-close', 'send-back', 'transfer', 'reopen']));
/** @typedef {(typeof CASE_ACTIONS)[number]} CaseAction */

/**
 * The roles that may take each action (CASE_ACTION_RULES); scope and state are checked by the server.
 * @type {Readonly<Record<CaseAction, readonly Role[]>>}
 */
export const CASE_ACTION_ROLES = Object.freeze({
  'review-register': /** @type {readonly Role[]} */ (Object.freeze(['operator', 'supervisor', 'township_officer'])),
  reject: /** @type {readonly Role[]} */ (Object.freeze(['operator', 'supervisor', 'township_officer'])),
  dispatch: /** @type {readonly Role[]} */ (Object.freeze(['operator', 'supervisor', 'township_officer'])),
  accept: /** @type {readonly Role[]} */ (Object.freeze(['township_officer', 'department_liaison'])),
  'report-back': /** @type {readonly Role[]} */ (Object.freeze(['township_officer', 'department_liaison'])),
  'verify-close': /** @type {readonly Role[]} */ (Object.freeze(['operator', 'supervisor'])),
  'send-back': /** @type {readonly Role[]} */ (Object.freeze(['operator', 'supervisor'])),
  transfer: /** @type {readonly Role[]} */ (Object.freeze(['operator', 'supervisor', 'township_officer', 'department_liaison'])),
  reopen: /** @type {readonly Role[]} */ (Object.freeze(['supervisor'])),
});

/** Why the server refuses a transition: the `error` of its answer (TRANSITION_ERROR_CODES). */
export const TRANSITION_ERROR_CODES = Object.freeze(/** @type {const} */ (['forbidden-role', 'out-of-scope', 'invalid-state', 'missing-reason', 'review-required', 'invalid-input']));
/** @typedef {(typeof TRANSITION_ERROR_CODES)[number]} TransitionErrorCode */
