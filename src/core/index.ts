/** The public surface of Hearth's core: the only module adapters import. */
export type * from './message.ts';
export type * from './adapter.ts';
export type { Logger } from './logger.ts';
export * from './errors.ts';
export { chunkMessage } from './chunk.ts';
export { storableText, storableJson, excerptOf } from './storable.ts';
export { checkedInbound, MalformedEventError } from './inbound-check.ts';
export { handOver, type SetAsideEvent, type HandOverOptions } from './set-aside.ts';
