/**
 * Errors that say *who* failed, after grammY's GrammyError/HttpError split: the pipeline decides
 * between "tell the user", "retry later" and "fix your config" from the class alone.
 */

/** The platform answered and said no (400 bad request, 403 forbidden, bad token…). */
export class PlatformRejectedError extends Error {
  override name = 'PlatformRejectedError';
  readonly platform: string;
  readonly status: number | undefined;
  /** The platform's own description, safe to log (adapters strip tokens before building it). */
  readonly description: string;
  constructor(platform: string, description: string, status?: number, options?: ErrorOptions) {
    super(`${platform} rejected the request: ${description}`, options);
    this.platform = platform;
    this.status = status;
    this.description = description;
  }
}

/** The platform asked us to slow down; the call can be repeated after `retryAfterMs`. */
export class PlatformRateLimitedError extends Error {
  override name = 'PlatformRateLimitedError';
  readonly platform: string;
  readonly retryAfterMs: number;
  constructor(platform: string, retryAfterMs: number, options?: ErrorOptions) {
    super(`${platform} rate limited us; retry after ${retryAfterMs} ms`, options);
    this.platform = platform;
    this.retryAfterMs = retryAfterMs;
  }
}

/** We could not reach the platform (DNS, refused, reset, timeout, 5xx). Worth retrying. */
export class PlatformUnreachableError extends Error {
  override name = 'PlatformUnreachableError';
  readonly platform: string;
  constructor(platform: string, detail: string, options?: ErrorOptions) {
    super(`could not reach ${platform}: ${detail}`, options);
    this.platform = platform;
  }
}

/** Startup problems the owner must fix (bad token, missing intent, wrong URL). */
export class PlatformConfigError extends Error {
  override name = 'PlatformConfigError';
  readonly platform: string;
  readonly fix: string;
  constructor(platform: string, problem: string, fix: string, options?: ErrorOptions) {
    super(`${platform}: ${problem}. Fix: ${fix}`, options);
    this.platform = platform;
    this.fix = fix;
  }
}

export function isRetryablePlatformError(error: unknown): boolean {
  return error instanceof PlatformUnreachableError || error instanceof PlatformRateLimitedError;
}
