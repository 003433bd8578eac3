/**
 * One GET with redirects followed by hand, for web_fetch. node:http(s) rather than fetch()
 * because the address check has to sit inside the connection's own DNS lookup: the socket then
 * connects to exactly the address that was checked (no second lookup an attacker's DNS could
 * answer differently), and TLS still verifies the certificate for the name in the URL.
 */
import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { RefusedAddressError, type AddressGuard } from './address-guard.ts';
import { domainRefusal, type DomainRules } from './domains.ts';

export interface FetchLimits {
  /** The whole fetch, redirects included. */
  timeoutMs: number;
  /** Bytes of body read (after decompression); the rest is not downloaded. */
  maxBytes: number;
  maxRedirects: number;
}

export interface FetchedPage {
  url: string;
  status: number;
  contentType: string;
  body: Buffer;
  /** The body was longer than maxBytes and was cut there. */
  truncated: boolean;
}

/** A refusal the model should pass on as it is (not a network failure to retry). */
export class RefusedUrlError extends Error {
  override name = 'RefusedUrlError';
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function fetchPage(start: string, options: { guard: AddressGuard; domains: DomainRules; limits: FetchLimits; signal: AbortSignal; userAgent: string }): Promise<FetchedPage> {
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.limits.timeoutMs)]);
  let url = checkedUrl(start, options.domains);
  for (let hop = 0; ; hop++) {
    const response = await get(url, { ...options, signal });
    const location = response.headers.location;
    if (REDIRECTS.has(response.status) && location) {
      response.stream.destroy();
      if (hop >= options.limits.maxRedirects) throw new RefusedUrlError(`${start} redirects more than ${options.limits.maxRedirects} times`);
      url = checkedUrl(new URL(location, url).href, options.domains);
      continue;
    }
    const { body, truncated } = await readBody(response.stream, response.headers['content-encoding'], options.limits.maxBytes, signal);
    return { url: url.href, status: response.status, contentType: String(response.headers['content-type'] ?? ''), body, truncated };
  }
}

function checkedUrl(text: string, domains: DomainRules): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RefusedUrlError(`"${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RefusedUrlError(`only http and https URLs can be fetched, not ${url.protocol.replace(':', '')}`);
  if (url.username || url.password) throw new RefusedUrlError('URLs with a user name or password are not fetched');
  const refusal = domainRefusal(url.hostname, domains);
  if (refusal) throw new RefusedUrlError(refusal);
  return url;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  stream: http.IncomingMessage;
}

function get(url: URL, options: { guard: AddressGuard; signal: AbortSignal; userAgent: string }): Promise<RawResponse> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // A literal address never goes through lookup (Node connects to it directly): check it here.
  if (isIP(host)) options.guard.check(host, host);
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      let refusal: Error | undefined;
      const usable = addresses.filter(({ address }) => {
        try {
          options.guard.check(address, hostname);
          return true;
        } catch (refused) {
          refusal ??= refused as Error;
          return false;
        }
      });
      // One private answer among public ones is still a rebinding attempt: refuse the name.
      if (refusal || usable.length === 0) return callback(refusal ?? new RefusedAddressError(`${hostname} has no address`), '', 0);
      if (lookupOptions.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, { lookup, agent: false, signal: options.signal, headers: { 'user-agent': options.userAgent, accept: 'text/html,text/plain,application/xhtml+xml,application/json;q=0.9,*/*;q=0.5', 'accept-encoding': 'gzip, deflate, br' } }, (response) =>
      resolve({ status: response.statusCode ?? 0, headers: response.headers, stream: response }),
    );
    request.on('error', (error) => reject(error instanceof RefusedAddressError ? error : explain(error, url, options.signal)));
  });
}

function explain(error: Error, url: URL, signal: AbortSignal): Error {
  if (signal.aborted) return new Error(`${url.host} did not answer in time`);
  const code = (error as { code?: string }).code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new Error(`${url.hostname} was not found (DNS)`);
  return new Error(`could not fetch ${url.href}: ${code ?? error.message}`);
}

async function readBody(stream: http.IncomingMessage, encoding: string | undefined, maxBytes: number, signal: AbortSignal): Promise<{ body: Buffer; truncated: boolean }> {
  // The limit applies after decompression, so a small compressed bomb cannot fill memory.
  const decoded: Readable =
    encoding === 'gzip' || encoding === 'x-gzip' ? stream.pipe(createGunzip()) : encoding === 'deflate' ? stream.pipe(createInflate()) : encoding === 'br' ? stream.pipe(createBrotliDecompress()) : stream;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of decoded) {
      const buffer = chunk as Buffer;
      if (size + buffer.length > maxBytes) {
        chunks.push(buffer.subarray(0, maxBytes - size));
        return { body: Buffer.concat(chunks), truncated: true };
      }
      chunks.push(buffer);
      size += buffer.length;
    }
    return { body: Buffer.concat(chunks), truncated: false };
  } catch (error) {
    if (signal.aborted) throw new Error('the page did not arrive in time', { cause: error });
    throw error;
  } finally {
    stream.destroy();
    if (decoded !== stream) decoded.destroy();
  }
}
