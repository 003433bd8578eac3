/**
 * The client-server API shapes the adapter reads, typed loosely on purpose: homeservers
 * (Synapse, Conduit, Dendrite) omit empty sections, so every field is optional and checked.
 * https://spec.matrix.org/v1.13/client-server-api/#get_matrixclientv3sync
 */

export type Content = Record<string, unknown>;

export interface RawEvent {
  event_id?: string;
  type: string;
  sender: string;
  content: Content;
  state_key?: string;
  origin_server_ts?: number;
  room_id?: string;
  unsigned?: { transaction_id?: string; redacted_because?: unknown; [key: string]: unknown };
}

export interface JoinedRoomSync {
  state?: { events?: RawEvent[] };
  timeline?: { events?: RawEvent[]; limited?: boolean; prev_batch?: string | null };
}

export interface InvitedRoomSync {
  invite_state?: { events?: RawEvent[] };
}

export interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, JoinedRoomSync>;
    invite?: Record<string, InvitedRoomSync>;
    leave?: Record<string, unknown>;
  };
  account_data?: { events?: RawEvent[] };
  /** End-to-end encryption: room keys and key requests sent to this device. */
  to_device?: { events?: Array<{ type: string; sender: string; content: Content }> };
  /** Users whose devices changed (or who left every shared encrypted room). */
  device_lists?: { changed?: string[]; left?: string[] };
  device_one_time_keys_count?: Record<string, number>;
  device_unused_fallback_key_types?: string[];
  'org.matrix.msc2732.device_unused_fallback_key_types'?: string[];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(object: unknown, key: string): string | undefined {
  if (!isRecord(object)) return undefined;
  const value = object[key];
  return typeof value === 'string' ? value : undefined;
}

/** The relation an event declares (`m.relates_to`), when it declares one. */
export function relation(content: Content): { relType?: string; eventId?: string; replyTo?: string; isFallingBack: boolean } {
  const relates = content['m.relates_to'];
  if (!isRecord(relates)) return { isFallingBack: false };
  return {
    relType: stringField(relates, 'rel_type'),
    eventId: stringField(relates, 'event_id'),
    replyTo: stringField(relates['m.in_reply_to'], 'event_id'),
    isFallingBack: relates.is_falling_back === true,
  };
}
