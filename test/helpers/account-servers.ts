/**
 * Real calendar and mail servers for the calendar and mail tests, each started by the test on a
 * free port of 127.0.0.1 with its configuration in a temporary folder: Radicale (CalDAV, htpasswd
 * users with plain passwords, filesystem storage) and Dovecot (IMAP, passwd-file users, plain
 * authentication allowed on localhost, maildirs in the folder). Debian packages; `.ci/run`
 * installs them. The SMTP side is a sink from the npm package smtp-server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { freePort } from './free-port.ts';
import { until } from './eventually.ts';

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

async function listening(port: number, child: ChildProcess, what: string, output: () => string): Promise<void> {
  const { connect } = await import('node:net');
  await until(
    () => {
      if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}): ${output()}`);
      return new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
    },
    `${what} to listen on ${port}`,
    20_000,
  );
}

function stopper(child: ChildProcess, folder: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(folder, { recursive: true, force: true });
  };
}

/** Radicale with the given users (name → password); each user's calendar is created by the test. */
export async function startRadicale(users: Record<string, string>): Promise<RunningServer> {
  const folder = mkdtempSync(join(tmpdir(), 'hearth-radicale-'));
  const port = await freePort();
  writeFileSync(join(folder, 'users'), Object.entries(users).map(([u, p]) => `${u}:${p}`).join('\n') + '\n');
  writeFileSync(
    join(folder, 'config'),
    `[server]\nhosts = 127.0.0.1:${port}\n[auth]\ntype = htpasswd\nhtpasswd_filename = ${join(folder, 'users')}\nhtpasswd_encryption = plain\ndelay = 0\n[storage]\nfilesystem_folder = ${join(folder, 'collections')}\n[rights]\ntype = owner_only\n[logging]\nlevel = warning\n`,
  );
  // Debian's python3 has the radicale module; a pyenv python3 earlier on PATH would not.
  const child = spawn('/usr/bin/python3', ['-m', 'radicale', '--config', join(folder, 'config')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await listening(port, child, 'Radicale', () => output);
  return { url: `http://127.0.0.1:${port}/`, port, stop: stopper(child, folder) };
}

function userIds(): { user: string; group: string; uid: number; gid: number; loginUser: string } {
  const uid = process.getuid!();
  if (uid !== 0) {
    const user = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
    const group = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim();
    return { user, group, uid, gid: process.getgid!(), loginUser: user };
  }
  // Dovecot refuses to run its login and mail processes as root: use the users its package made.
  const id = (flag: string, name: string) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  return { user: 'dovecot', group: 'dovecot', uid: id('-u', 'dovecot'), gid: id('-g', 'dovecot'), loginUser: 'dovenull' };
}

/** Dovecot serving IMAP for the given users (name → password), mail in maildirs of a temp folder. */
export async function startDovecot(users: Record<string, string>): Promise<RunningServer> {
  const folder = mkdtempSync(join(tmpdir(), 'hearth-dovecot-'));
  const port = await freePort();
  const ids = userIds();
  // The mail processes run as another user when the test runs as root: they must reach the maildirs.
  if (process.getuid!() === 0) chmodSync(folder, 0o755);
  for (const sub of ['mail', 'home']) {
    mkdirSync(join(folder, sub));
    if (process.getuid!() === 0) chownSync(join(folder, sub), ids.uid, ids.gid);
  }
  writeFileSync(join(folder, 'users'), Object.entries(users).map(([u, p]) => `${u}:{PLAIN}${p}`).join('\n') + '\n');
  const config = `
base_dir = ${folder}/run
state_dir = ${folder}/state
log_path = ${folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = ${ids.user}
default_internal_group = ${ids.group}
default_login_user = ${ids.loginUser}
first_valid_uid = ${ids.uid}
mail_location = maildir:${folder}/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${folder}/users
}
userdb {
  driver = static
  args = uid=${ids.uid} gid=${ids.gid} home=${folder}/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
  writeFileSync(join(folder, 'dovecot.conf'), config);
  const child = spawn('dovecot', ['-F', '-c', join(folder, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await listening(port, child, 'Dovecot', () => output);
  return { url: `imap://127.0.0.1:${port}`, port, stop: stopper(child, folder) };
}

export interface SmtpSink extends RunningServer {
  /** Every message accepted, parsed, with the envelope. */
  received: Array<{ from: string; to: string[]; mail: ParsedMail; user?: string }>;
}

/** An SMTP server that accepts mail from the given users (plain auth without TLS, as on localhost) and keeps it. */
export async function startSmtpSink(users: Record<string, string>): Promise<SmtpSink> {
  const port = await freePort();
  const received: SmtpSink['received'] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username && users[auth.username] !== undefined && users[auth.username] === auth.password) return callback(null, { user: auth.username });
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), mail, user: session.user as string | undefined });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `smtp://127.0.0.1:${port}`, port, received, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
