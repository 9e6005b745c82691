// A real Git smart-HTTP server for the sandbox: `git http-backend` (the CGI
// program that ships with git) behind a small Node HTTP server on loopback,
// with optional basic auth and a switch that refuses pushes (fault injection).
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';

export interface GitServerOptions {
  root: string;
  port: number;
  username?: string;
  password?: string;
}

export function gitExecPath(): string {
  return execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim();
}

export function createBareRepo(root: string, name: string): void {
  const dir = join(root, name);
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', dir]);
  execFileSync('git', ['-C', dir, 'config', 'http.receivepack', 'true']);
}

function authorized(req: IncomingMessage, opts: GitServerOptions): boolean {
  if (!opts.username) return true;
  const h = req.headers.authorization ?? '';
  if (!h.startsWith('Basic ')) return false;
  const [user, ...rest] = Buffer.from(h.slice(6), 'base64').toString('utf8').split(':');
  return user === opts.username && rest.join(':') === opts.password;
}

function isPush(url: URL): boolean {
  return url.pathname.endsWith('/git-receive-pack') || url.searchParams.get('service') === 'git-receive-pack';
}

function cgi(req: IncomingMessage, res: ServerResponse, url: URL, opts: GitServerOptions, backend: string): void {
  const child = spawn(backend, [], {
    env: {
      PATH: process.env.PATH ?? '',
      GIT_PROJECT_ROOT: opts.root,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      REMOTE_USER: opts.username ?? 'anonymous',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) { res.write(chunk); return; }
    head = Buffer.concat([head, chunk]);
    const sep = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') : head.indexOf('\n\n');
    if (sep < 0) return;
    const sepLen = head[sep] === 0x0d ? 4 : 2;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, sep).toString('utf8').split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const k = line.slice(0, i).trim();
      const v = line.slice(i + 1).trim();
      if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]);
      else headers[k] = v;
    }
    res.writeHead(status, headers);
    headersDone = true;
    res.write(head.subarray(sep + sepLen));
  });
  child.stdout.on('end', () => res.end());
  child.on('error', () => { if (!res.headersSent) res.writeHead(500); res.end(); });
  child.stderr.resume();
}

export interface RunningGitServer {
  server: Server;
  port: number;
  setRefusePushes(on: boolean): void;
}

export function startGitServer(opts: GitServerOptions): Promise<RunningGitServer> {
  const backend = join(gitExecPath(), 'git-http-backend');
  let refusePushes = false;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // Control endpoint for tests (loopback only, like everything here).
    if (url.pathname === '/_gitfed/refuse-pushes' && req.method === 'POST') {
      refusePushes = url.searchParams.get('on') === '1';
      res.writeHead(204).end();
      return;
    }
    if (!authorized(req, opts)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="gitfed sandbox"' }).end('authentication required\n');
      return;
    }
    if (refusePushes && isPush(url)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('pushes are refused (sandbox fault injection)\n');
      return;
    }
    cgi(req, res, url, opts, backend);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr ? addr.port : opts.port, setRefusePushes: (on) => { refusePushes = on; } });
    });
  });
}
