/** Who may act. Every endpoint names the roles it admits; a township officer is bound to one township. */
export const ROLES = ['operator', 'supervisor', 'pilot', 'township_officer', 'department_liaison', 'admin', 'device'] as const;
export type Role = (typeof ROLES)[number];

export interface Actor {
  id: string;
  username: string;
  role: Role;
  townshipCode?: string;
  unitCode?: string;
}

/** The townships an actor may see, or undefined for all of them. An officer without a township sees none. */
export function townshipScope(actor: Actor): string[] | undefined {
  switch (actor.role) {
    case 'township_officer':
      return actor.townshipCode ? [actor.townshipCode] : [];
    case 'operator':
    case 'supervisor':
    case 'admin':
      return undefined;
    case 'pilot':
    case 'department_liaison':
    case 'device':
      return [];
  }
}
