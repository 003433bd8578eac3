/**
 * The owner's optional domain lists for web_fetch: with an allow list only those domains (and
 * their subdomains) are fetched; a deny list refuses its domains. Checked on the first URL and
 * on every redirect. They narrow what is reachable; they never open a private address.
 */
export interface DomainRules {
  allow: string[];
  deny: string[];
}

export function parseDomainList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((d) => d.trim().toLowerCase().replace(/^\*?\./, '').replace(/\.$/, ''))
    .filter(Boolean);
}

const within = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`);

/** Why this host may not be fetched, or undefined when it may. */
export function domainRefusal(host: string, rules: DomainRules): string | undefined {
  const name = host.toLowerCase().replace(/\.$/, '');
  const denied = rules.deny.find((d) => within(name, d));
  if (denied) return `${name} is on the owner's deny list (${denied})`;
  if (rules.allow.length && !rules.allow.some((d) => within(name, d))) return `${name} is not on the owner's list of domains web_fetch may reach`;
  return undefined;
}
