// For tests only: a real in-process API server in a temp dir and a RestClient
// for it (admin client certificate). close() stops both and removes the dir.
// No controllers run unless `controllers` asks for them (e.g. ['*']): client
// tests see exactly the objects they make.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, DEFAULTS, type RunningServer, type ServerConfig } from '../../src/server/server.ts';
import { loadKubeconfig } from '../../src/client/kubeconfig.ts';
import { RestClient, type RestClientOptions } from '../../src/client/rest.ts';

export interface TestServer {
  server: RunningServer;
  client: RestClient;
  dataDir: string;
  /** A further client (e.g. a second elector), closed with the server. */
  newClient(opts?: RestClientOptions): RestClient;
  /** Stops the server and starts it again on the same port and data dir (needs a persistent datastore). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestServer(cfg: Partial<ServerConfig> = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-client-'));
  const config: ServerConfig = { ...DEFAULTS, dataDir, securePort: 0, bindAddress: '127.0.0.1', logLevel: 'error', datastore: 'memory://', controllers: [], ...cfg };
  let server = await startServer(config);
  const clients: RestClient[] = [];
  const newClient = (opts?: RestClientOptions): RestClient => {
    const c = new RestClient(loadKubeconfig(server.kubeconfigPath), opts);
    clients.push(c);
    return c;
  };
  const client = newClient();
  return {
    get server() { return server; },
    client, dataDir, newClient,
    async restart() {
      const port = server.port;
      await server.close();
      server = await startServer({ ...config, securePort: port });
    },
    async close() {
      for (const c of clients) c.close();
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
