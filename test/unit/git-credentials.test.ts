// Git credentials come from the environment or a file and never leak into logs.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadGitAuth, redact } from '../../operator/git/credentials.js';

test('credentials: token, user/password and file forms', async () => {
  assert.deepEqual(loadGitAuth({ GITFED_GIT_TOKEN: 't0k' }), { username: 'git', password: 't0k' });
  assert.deepEqual(loadGitAuth({ GITFED_GIT_USERNAME: 'u', GITFED_GIT_PASSWORD: 'p' }), { username: 'u', password: 'p' });
  assert.equal(loadGitAuth({}), undefined);
  const dir = await mkdtemp(join(tmpdir(), 'gitfed-cred-'));
  try {
    await writeFile(join(dir, 'c'), 'robot:s3cret\n');
    assert.deepEqual(loadGitAuth({}, join(dir, 'c')), { username: 'robot', password: 's3cret' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('credentials: redact removes passwords and URL credentials', () => {
  const auth = { username: 'robot', password: 's3cret' };
  assert.equal(redact('push to https://robot:s3cret@git.example/fleet.git failed: s3cret', auth), 'push to https://***@git.example/fleet.git failed: ***');
});
