import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerdPaths, renderContainerdConfig } from './config.ts';

test('containerd config keeps everything under its own directory and configures the CRI plugin', () => {
  const p = containerdPaths('/data/agent/containerd');
  const toml = renderContainerdConfig(p, { sandboxImage: 'localhost/pilot/pause:1', insecureRegistries: ['127.0.0.1:5000'] });
  assert.match(toml, /^version = 2$/m);
  assert.match(toml, /^root = "\/data\/agent\/containerd\/root"$/m);
  assert.match(toml, /^state = "\/data\/agent\/containerd\/state"$/m);
  assert.match(toml, /address = "\/data\/agent\/containerd\/containerd.sock"/);
  assert.match(toml, /sandbox_image = "localhost\/pilot\/pause:1"/);
  assert.match(toml, /stream_server_port = "0"/);
  assert.match(toml, /snapshotter = "overlayfs"/);
  assert.match(toml, /SystemdCgroup = false/);
  assert.match(toml, /bin_dir = "\/usr\/lib\/cni"/);
  assert.match(toml, /conf_dir = "\/data\/agent\/containerd\/cni\/net.d"/);
  assert.match(toml, /registry.mirrors."127.0.0.1:5000"\]\n\s+endpoint = \["http:\/\/127.0.0.1:5000"\]/);
  // Nothing outside the directory (the CNI plugins' bin dir aside).
  for (const m of toml.matchAll(/"(\/[^"]+)"/g)) assert.ok(m[1].startsWith('/data/agent/containerd') || m[1] === '/usr/lib/cni', m[1]);
});
