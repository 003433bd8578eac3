/**
 * Masks secrets before anything reaches an audit row, a log line or an approval request: values
 * under keys that name a secret, and values that look like credentials whatever their key
 * (a model may put a token in a field called "text"). Errs towards masking.
 */
export const MASK = '***';

const SECRET_KEY = /password|passwd|passphrase|passcode|^pass$|^pwd$|token|secret|api[-_]?key|^key$|[-_]key$|private[-_]?key|authori[sz]ation|^auth$|cookie|credential|signature|^pin$|^otp$/i;
/** camelCase names ending in Key (accessKey, signingKey), without catching "monkey". */
const SECRET_CAMEL_KEY = /[a-z0-9]Key$/;
const isSecretKey = (key: string, extra: readonly string[]) => SECRET_KEY.test(key) || SECRET_CAMEL_KEY.test(key) || extra.includes(key);
/** True for names that hold secrets (GITHUB_TOKEN, apiKey, password…). */
export const isSecretName = (key: string): boolean => isSecretKey(key, []);

const SECRET_VALUE: RegExp[] = [
  /^bearer\s+\S+/i,
  /^basic\s+[A-Za-z0-9+/=]{8,}$/i,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}/, // JWT
  /\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}/,
  /\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{30,}/,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/,
  /\bglpat-[A-Za-z0-9_-]{16,}/,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/,
  /\bAIza[0-9A-Za-z_-]{35}\b/,
  /\b\d{6,12}:[A-Za-z0-9_-]{30,}\b/, // Telegram bot token
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

/** Long unbroken strings mixing letters and digits read as keys, not words. */
function looksRandom(word: string): boolean {
  if (word.length < 20 || /^https?:\/\//i.test(word)) return false;
  if (!/^[A-Za-z0-9_\-+/=.~]+$/.test(word)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /\d/].filter((c) => c.test(word)).length;
  return classes >= 2 && /\d/.test(word);
}

/** A string with any secret-looking part masked; URLs keep their host but lose credentials. */
export function redactText(text: string): string {
  if (SECRET_VALUE.some((pattern) => pattern.test(text))) return MASK;
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]+):([^@\s/]+)@/gi, `$1$2:${MASK}@`);
  out = out.replace(/([?&](?:token|key|api_key|apikey|secret|sig|signature|password|access_token)=)[^&\s#]+/gi, `$1${MASK}`);
  return out
    .split(/(\s+)/)
    .map((word) => (looksRandom(word) ? MASK : word))
    .join('');
}

/**
 * A copy of `value` with secrets masked. `secretKeys` adds names a tool declares secret.
 * Depth-limited so a hostile, deeply nested argument cannot stall the turn.
 */
export function redact(value: unknown, secretKeys: readonly string[] = [], depth = 0): unknown {
  if (depth > 8) return MASK;
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.slice(0, 100).map((item) => redact(item, secretKeys, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [
        key,
        isSecretKey(key, secretKeys) ? (item === null || item === undefined || item === '' ? item : MASK) : redact(item, secretKeys, depth + 1),
      ]),
    );
  }
  return value;
}

/** Arguments as one line for a chat message: `to: "Ann", token: ***`. */
export function describeArguments(args: Record<string, unknown>): string {
  const entries = Object.entries(args);
  if (entries.length === 0) return '(no arguments)';
  return entries
    .map(([key, value]) => {
      const shown = value === MASK ? MASK : JSON.stringify(value);
      return `${key}: ${shown && shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}`;
    })
    .join(', ');
}
