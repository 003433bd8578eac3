/**
 * Which network addresses web_fetch may connect to. A model that fetches URLs for a household is
 * a server-side request forgery waiting to happen: a message or a web page can ask it for the
 * router's admin page, a NAS on the LAN, Ollama itself, or a cloud metadata service. So only
 * public unicast addresses are reached, unless the owner allow-lists an address or range.
 *
 * The check runs on the address actually connected to (after DNS resolution, inside the
 * socket's lookup), so a name that resolves to a public address once and a private one the next
 * time (DNS rebinding) cannot slip through; redirects are checked the same way on every hop.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export class RefusedAddressError extends Error {
  override name = 'RefusedAddressError';
}

/** An address or CIDR range the owner allows although it is not public (e.g. a NAS at 192.168.1.20). */
type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses "192.168.1.20, 10.0.0.0/8, fd00::/8"; throws naming the entry that is neither. */
export function parseAddressList(text: string | undefined): Range[] {
  return (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      try {
        if (entry.includes('/')) return ipaddr.parseCIDR(entry);
        const address = ipaddr.parse(entry);
        return [address, address.kind() === 'ipv4' ? 32 : 128] as Range;
      } catch {
        throw new Error(`"${entry}" is not an IP address or CIDR range (e.g. 192.168.1.20 or 10.0.0.0/8)`);
      }
    });
}

/** True when every entry of the list parses (for the settings table's validation). */
export function validAddressList(text: string): boolean {
  try {
    parseAddressList(text);
    return true;
  } catch {
    return false;
  }
}

export interface AddressGuard {
  /** Throws RefusedAddressError when the address may not be connected to. */
  check(address: string, host: string): void;
}

export function addressGuard(allowed: Range[]): AddressGuard {
  return {
    check(address, host) {
      if (!isIP(address)) throw new RefusedAddressError(`${host} did not resolve to an IP address`);
      let parsed = ipaddr.parse(address);
      // ::ffff:10.0.0.1 reaches 10.0.0.1: judge the IPv4 address it carries.
      if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
      if (allowed.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits))) return;
      // Everything ipaddr.js names (private, loopback, linkLocal — 169.254.169.254 is there —,
      // carrierGradeNat, uniqueLocal, multicast, reserved, unspecified…) is not the public web.
      const range = parsed.range();
      if (range !== 'unicast') {
        throw new RefusedAddressError(
          `${host} is ${address === host ? 'an address' : `at ${address}, an address`} on a ${describe(range)} network; web_fetch only reaches the public internet unless the owner allow-lists it (HEARTH_WEB_FETCH_ALLOW_ADDRESSES)`,
        );
      }
    },
  };
}

function describe(range: string): string {
  const names: Record<string, string> = {
    private: 'private',
    loopback: 'loopback (this machine)',
    linkLocal: 'link-local (includes cloud metadata services)',
    carrierGradeNat: 'carrier-grade NAT',
    uniqueLocal: 'private (IPv6 unique local)',
    unspecified: 'unspecified',
  };
  return names[range] ?? `special-purpose (${range})`;
}
