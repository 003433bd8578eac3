/**
 * The words every part of Hearth shares about people and what they may do: roles, decisions,
 * tool risk levels and the person a turn belongs to. A leaf module (it imports nothing), so the
 * pipeline, the tools and access can all name these without depending on one another.
 */

export type Role = 'owner' | 'member' | 'guest';

/** allow: runs · ask: an approver decides each call · deny: never offered, refused if called. */
export type Decision = 'allow' | 'ask' | 'deny';

/** read: looks things up · write: changes Hearth's own data or the sender's own things · external: acts on the world or on someone else. */
export type ToolRisk = 'read' | 'write' | 'external';

/** Who sent a message: the person holding the account, with their own tool grants. */
export interface Sender {
  person: Person;
  grants: Record<string, Decision>;
}

export interface Person {
  id: string;
  displayName: string;
  role: Role;
  /** IANA time zone the person lives in; null: the household's (HEARTH_TIMEZONE). */
  timeZone?: string | null;
}
