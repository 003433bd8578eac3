/**
 * What an unknown account may make Hearth store. Everything a person sends is journaled before
 * anything else happens to it — except from accounts Hearth does not know: their group chatter
 * that does not address Hearth is never journaled (it would only be ignored), and what does
 * address Hearth is journaled at most `perWindow` times per window per account. Beyond that the
 * message is dropped before any write, and the drops are audited as one count per window
 * (AuditLog.recordRepeated). So a stranger's flood costs a bounded number of rows; see
 * docs/security.md for the figures.
 */
import { RateLimiterMemory, RateLimiterRes } from '../rate-limiter.ts';
import type { InboundMessage } from '../core/index.ts';
import type { AuditLog } from '../audit/audit.ts';
import type { Metrics } from '../http/metrics.ts';

export interface AdmissionOptions {
  /** Messages addressed to Hearth an unknown account may have journaled per window. */
  perWindow: number;
  windowSeconds: number;
}

export const DEFAULT_ADMISSION: AdmissionOptions = { perWindow: 10, windowSeconds: 600 };

export class Admission {
  private readonly limiter: RateLimiterMemory;
  private readonly deps: { audit: AuditLog; metrics: Metrics };
  private readonly options: AdmissionOptions;
  constructor(deps: { audit: AuditLog; metrics: Metrics }, options: AdmissionOptions = DEFAULT_ADMISSION) {
    this.deps = deps;
    this.options = options;
    this.limiter = new RateLimiterMemory({ points: options.perWindow, duration: options.windowSeconds });
  }

  /**
   * For a message from an account Hearth does not know (Journal.addFromKnown found that out):
   * false when it must not be stored at all. Reads, never writes, before deciding.
   */
  async admit(message: InboundMessage): Promise<boolean> {
    const { platform, sender, conversation, mentionsBot, replyTo } = message;
    const addressed = conversation.kind === 'direct' || mentionsBot || Boolean(replyTo?.toBot);
    if (!addressed) {
      this.deps.metrics.messagesIn.inc({ platform, outcome: 'ignored' });
      return false;
    }
    const account = `${platform}:${sender.accountId}`;
    try {
      await this.limiter.consume(account);
      return true;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
    }
    this.deps.metrics.messagesIn.inc({ platform, outcome: 'dropped' });
    await this.deps.audit.recordRepeated(account, {
      kind: 'sender.flooded',
      platform,
      subject: account,
      detail: { reason: `an unknown account wrote more than ${this.options.perWindow} times in ${this.options.windowSeconds / 60} minutes; further messages were dropped unread and not stored` },
    });
    return false;
  }
}
