/**
 * Text and JSON that PostgreSQL accepts. `text` refuses U+0000 and `jsonb` refuses both U+0000
 * and lone UTF-16 surrogates ("\ud800" on its own), so one such character from a stranger would
 * make every insert of their message fail. NUL is removed (it never carries meaning in a chat) and
 * a lone surrogate becomes U+FFFD, the usual stand-in for a broken character.
 */

const NUL = /\u0000/g;

export function storableText(text: string): string {
  const whole = text.isWellFormed() ? text : text.toWellFormed();
  return whole.includes('\u0000') ? whole.replace(NUL, '') : whole;
}

/** A copy of a JSON-like value whose every string (and key) is storable text. */
export function storableJson<T>(value: T): T {
  return clean(value) as T;
}

function clean(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(clean);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      // A key such as "__proto__" must stay an own property, not become the prototype.
      Object.defineProperty(out, storableText(key), { value: clean(inner), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/** At most `max` characters of a value, as text, for logs and records of bad input. */
export function excerptOf(value: unknown, max = 500): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  const cut = text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
  return storableText(cut);
}
