// Entry point of the sandbox's git server process (so it can outlive
// `gitfed sandbox up`). Flags: --root DIR --port N [--user U --password P]
import { parseArgs } from 'node:util';
import { startGitServer } from './git-server.js';

const { values } = parseArgs({ options: { root: { type: 'string' }, port: { type: 'string' }, user: { type: 'string' }, password: { type: 'string' } } });
if (!values.root || !values.port) {
  console.error('usage: git-server-main --root DIR --port N [--user U --password P]');
  process.exit(2);
}
const password = values.password ?? process.env.GITFED_SANDBOX_GIT_PASSWORD;
const running = await startGitServer({ root: values.root, port: Number(values.port), ...(values.user ? { username: values.user } : {}), ...(password ? { password } : {}) });
console.log(`git server listening on http://127.0.0.1:${running.port}/`);
const stop = () => running.server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
