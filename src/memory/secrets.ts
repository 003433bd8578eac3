/**
 * Never store secrets as memories: a memory is recalled into prompts, listed by /memories and
 * exported to JSONL, so a password in one would travel much further than the person meant.
 * These patterns err towards refusing; the person is told why and where secrets belong.
 */
const PATTERNS: Array<{ what: string; pattern: RegExp }> = [
  // "password is …", "wifi key: …" (a bare mention such as "I changed my password" is fine).
  { what: 'a password', pattern: /\b(?:pass(?:word|wd|code|phrase)|pwd|passwort|mot de passe|contraseña|wachtwoord|wi-?fi\s*key)\b\s*(?:is|was|=|:|ist|est|es)\s*["'`]?\S{3,}/i },
  { what: 'a PIN', pattern: /\bpin(?:\s*code)?\b\s*(?:is|was|=|:)?\s*\d{3,}/i },
  { what: 'a private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { what: 'a recovery or seed phrase', pattern: /\b(?:seed|recovery|mnemonic)\s+(?:phrase|words)\b/i },
  { what: 'an API token', pattern: /\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}|\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{30,}|\bxox[abprs]-[A-Za-z0-9-]{10,}|\bglpat-[A-Za-z0-9_-]{16,}/ },
  { what: 'a cloud access key', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bAIza[0-9A-Za-z_-]{35}\b/ },
  { what: 'a bot token', pattern: /\b\d{6,12}:[A-Za-z0-9_-]{30,}\b/ },
  { what: 'a signed token', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
  { what: 'a token or key', pattern: /\b(?:api[\s_-]?key|secret|token|bearer|access[\s_-]?key)\b\s*(?:is|=|:)?\s*["'`]?[A-Za-z0-9_\-./+=]{12,}/i },
  { what: 'an IBAN', pattern: /\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b/ },
];

/** Long random-looking strings: mixed letters and digits, 24+ characters, no spaces. */
const HIGH_ENTROPY = /[A-Za-z0-9_\-+/=]{24,}/g;

/** Why this text looks like it holds a secret, or undefined when it does not. */
export function secretIn(text: string): string | undefined {
  for (const { what, pattern } of PATTERNS) if (pattern.test(text)) return what;
  if (hasCardNumber(text)) return 'a payment card number';
  for (const candidate of text.match(HIGH_ENTROPY) ?? []) {
    if (/\d/.test(candidate) && /[a-z]/.test(candidate) && /[A-Z]/.test(candidate) && !/^https?:/.test(candidate)) return 'a token or key';
  }
  return undefined;
}

/** 13–19 digits (spaces or dashes allowed between groups) that pass the Luhn check. */
function hasCardNumber(text: string): boolean {
  for (const match of text.match(/\b\d(?:[ -]?\d){12,18}\b/g) ?? []) {
    const digits = match.replace(/\D/g, '');
    if (digits.length >= 13 && digits.length <= 19 && luhn(digits)) return true;
  }
  return false;
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
