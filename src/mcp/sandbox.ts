/**
 * The bubblewrap (bwrap) command line a stdio MCP server runs under. A server is someone else's
 * code with Hearth's rights unless fenced in, so by default it gets: no network (its own empty
 * network namespace); a file system that shows only the system's programs and libraries, Hearth's
 * node_modules, the folders the owner granted and its own writable state folder, all read-only
 * but those two; no environment but PATH, HOME and what the config names; no capabilities, its
 * own process and IPC namespaces, a new session (no terminal injection); death with Hearth; and
 * memory and CPU-time limits set with prlimit (unprivileged, so it works in any container where
 * bwrap itself works). bwrap needs user namespaces, or to run as root.
 */
import { accessSync, constants, existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SandboxSettings } from './config.ts';

/** Hearth's own folder: its node_modules are visible inside, so `npx some-server` finds installed servers. */
export const HEARTH_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** System folders shown read-only; on merged-/usr systems most of these are symlinks and are recreated as such. */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** What programs need from /etc (name resolution, TLS roots, users, time zone, linker), and nothing else there. */
const ETC_ENTRIES = ['/etc/alternatives', '/etc/ca-certificates', '/etc/ssl', '/etc/pki', '/etc/resolv.conf', '/etc/hosts', '/etc/nsswitch.conf', '/etc/host.conf', '/etc/gai.conf', '/etc/passwd', '/etc/group', '/etc/localtime', '/etc/timezone', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/os-release', '/etc/mime.types'];

export class SandboxUnavailableError extends Error {
  override name = 'SandboxUnavailableError';
}

/** The first executable called `name` on PATH, resolved like a shell would. */
export function which(name: string, path = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return existsSync(name) ? resolve(name) : undefined;
  for (const folder of path.split(delimiter).filter(Boolean)) {
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function missingBwrapMessage(server: string): string {
  return (
    `The MCP server "${server}" runs in a sandbox, and bubblewrap (bwrap) is not installed, so it was not started. ` +
    'Fix: install it (`apt-get install bubblewrap` on Debian/Ubuntu, `dnf install bubblewrap` on Fedora; in Docker see docs/tools.md), ' +
    `or, if you trust this server with Hearth's rights, set \`sandbox: false\` for it.`
  );
}

/** Turns the sandbox's own complaint (bwrap or prlimit print one line and exit) into the fix. */
export function explainBwrapFailure(stderr: string): string | undefined {
  const notFound = /^(?:bwrap: execvp (.+?)|prlimit: failed to execute (.+?)): No such file or directory/m.exec(stderr);
  if (notFound) {
    return `the command ${notFound[1] ?? notFound[2]} was not found inside the sandbox. Fix: install it, or give its full path; the sandbox shows only /usr, Hearth's node_modules and the command's own installation folder, so grant the folder it lives in with sandbox.paths`;
  }
  const line = stderr.split('\n').find((l) => l.startsWith('bwrap: '));
  if (!line) return undefined;
  if (/namespace|Operation not permitted|setting up uid map|No permissions/i.test(line)) {
    return `${line} — the sandbox cannot create namespaces here. Fix: allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04+ also kernel.apparmor_restrict_unprivileged_userns=0), or in Docker run the container with --security-opt seccomp=unconfined --security-opt apparmor=unconfined (docs/tools.md), or set \`sandbox: false\` for this server.`;
  }
  if (/Can't find source path|No such file/i.test(line)) return `${line} — a path the sandbox should show does not exist. Fix: create it or correct sandbox.paths.`;
  return line;
}

export interface SandboxRequest {
  bwrap: string;
  /** prlimit on this machine, or undefined when it is missing (then no limits, with a warning). */
  prlimit: string | undefined;
  command: string;
  args: string[];
  /** Only what the config names; PATH and HOME are added here. */
  env: Record<string, string>;
  cwd?: string;
  /** The server's private writable folder (absolute). */
  stateDir: string;
  settings: SandboxSettings;
  /** PATH as Hearth sees it (programs are looked up there inside too). */
  path: string;
}

export interface SandboxedCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** The folder a program was installed into: `<prefix>` for `<prefix>/bin/<program>`. */
function installRoot(executable: string): string {
  const real = realpathSync(executable);
  const folder = dirname(real);
  return folder.endsWith(`${sep}bin`) ? dirname(folder) : folder;
}

const covered = (path: string, roots: string[]) => roots.some((root) => path === root || path.startsWith(`${root}${sep}`));

export function sandboxedCommand(request: SandboxRequest): SandboxedCommand {
  const { settings } = request;
  const args = ['--unshare-all', ...(settings.network ? ['--share-net'] : []), '--cap-drop', 'ALL', '--die-with-parent', '--new-session'];
  // bwrap is started with exactly this environment and hands it on: values given with --setenv
  // would sit in its command line, which every local user can read in `ps`.
  const env: Record<string, string> = { PATH: request.path, HOME: request.stateDir, TMPDIR: '/tmp', ...request.env };

  for (const dir of SYSTEM_DIRS) {
    if (!existsSync(dir)) continue;
    if (lstatSync(dir).isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
    else args.push('--ro-bind', dir, dir);
  }
  for (const entry of ETC_ENTRIES) args.push('--ro-bind-try', entry, entry);
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');

  // Programs: Hearth's node_modules (its Node and any server installed beside it) and wherever
  // Node and the server's command were installed, if that is outside the system folders.
  const shown: string[] = ['/usr'];
  const showReadOnly = (path: string) => {
    if (!existsSync(path) || covered(path, shown)) return;
    args.push('--ro-bind', path, path);
    shown.push(path);
  };
  showReadOnly(join(HEARTH_ROOT, 'node_modules'));
  showReadOnly(join(HEARTH_ROOT, 'package.json'));
  showReadOnly(installRoot(process.execPath));
  const program = which(request.command, request.path);
  if (program) showReadOnly(installRoot(program));

  for (const grant of settings.paths) {
    const path = resolve(grant.path);
    if (!existsSync(path)) throw new SandboxUnavailableError(`sandbox.paths names ${path}, which does not exist. Fix: create it, or correct the path.`);
    args.push(grant.write ? '--bind' : '--ro-bind', path, path);
    shown.push(path);
  }
  const cwd = request.cwd ? resolve(request.cwd) : HEARTH_ROOT;
  if (request.cwd) showReadOnly(cwd);
  args.push('--bind', request.stateDir, request.stateDir, '--chdir', cwd);

  args.push('--');
  if (request.prlimit) args.push(request.prlimit, `--data=${settings.memoryMb * 1024 * 1024}`, `--cpu=${settings.cpuSeconds}`, '--');
  args.push(request.command, ...request.args);
  return { command: request.bwrap, args, env };
}

/** A relative command is looked up on PATH; one given as a path must be absolute inside the sandbox. */
export function absoluteCommand(command: string): string {
  return command.includes('/') && !isAbsolute(command) ? resolve(command) : command;
}
