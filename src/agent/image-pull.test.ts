import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { pullAuths, pullPolicy, registryHost } from './image-pull.ts';

test('default pull policy: Always for latest or no tag, IfNotPresent otherwise; explicit wins', () => {
  assert.equal(pullPolicy({ name: 'c', image: 'busybox' }), 'Always');
  assert.equal(pullPolicy({ name: 'c', image: 'busybox:latest' }), 'Always');
  assert.equal(pullPolicy({ name: 'c', image: 'localhost:5000/busybox' }), 'Always');
  assert.equal(pullPolicy({ name: 'c', image: 'localhost:5000/busybox:1.35' }), 'IfNotPresent');
  assert.equal(pullPolicy({ name: 'c', image: 'busybox@sha256:abc' }), 'IfNotPresent');
  assert.equal(pullPolicy({ name: 'c', image: 'busybox', imagePullPolicy: 'Never' }), 'Never');
});

test('registry host as Docker normalises references', () => {
  assert.equal(registryHost('busybox'), 'docker.io');
  assert.equal(registryHost('library/busybox:1'), 'docker.io');
  assert.equal(registryHost('127.0.0.1:5000/x/y:1'), '127.0.0.1:5000');
  assert.equal(registryHost('localhost/pilot/busybox:1.35'), 'localhost');
  assert.equal(registryHost('ghcr.io/a/b'), 'ghcr.io');
});

test('pull credentials from dockerconfigjson and dockercfg secrets, matched by registry', () => {
  const json = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64');
  const secrets: Secret[] = [
    { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': json({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('u1:p1').toString('base64') }, 'reg.local:5000': { username: 'u2', password: 'p2' } } }) } },
    { type: 'kubernetes.io/dockercfg', data: { '.dockercfg': json({ 'reg.local:5000': { username: 'u3', password: 'p3' } }) } },
    { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': 'not json' } },
  ];
  assert.deepEqual(pullAuths('busybox', secrets).map((a) => [a.username, a.password, a.serverAddress]), [['u1', 'p1', 'docker.io']]);
  assert.deepEqual(pullAuths('reg.local:5000/app:1', secrets).map((a) => a.username), ['u2', 'u3']);
  assert.deepEqual(pullAuths('other.io/app:1', secrets), []);
});
