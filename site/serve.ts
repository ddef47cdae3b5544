/**
 * Serves the built page (site/dist) on localhost with the two headers that make it cross-origin isolated
 * (`Cross-Origin-Opener-Policy: same-origin`, `Cross-Origin-Embedder-Policy: require-corp`), so the browser
 * offers SharedArrayBuffer and threads. The files are served by sirv, with the gzip and brotli copies the
 * build writes beside each text file.
 *
 *   npm run site                  (after `npm run site:build`; PORT=8080 by default)
 *   npx tsx site/serve.ts --port 9000 --no-isolation   (the page without the two headers, to see it degrade)
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sirv from 'sirv';

/** Where `npm run site:build` writes the page. */
export const SITE_DIST = fileURLToPath(new URL('./dist', import.meta.url));

export interface SiteServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Port to listen on; 0 picks a free one (default). */
  port?: number;
  /** Send COOP/COEP (default true); false serves the page as an ordinary, non-isolated one. */
  isolate?: boolean;
  /** Folder to serve (default site/dist). */
  dir?: string;
}

/** Starts the server on 127.0.0.1 and resolves once it listens. */
export async function startSiteServer(options: ServeOptions = {}): Promise<SiteServer> {
  const dir = options.dir ?? SITE_DIST;
  if (!existsSync(`${dir}/index.html`)) throw new Error(`site: ${dir}/index.html not found; run \`npm run site:build\` first`);
  const isolate = options.isolate ?? true;
  const files = sirv(dir, {
    gzip: true,
    brotli: true,
    etag: true,
    setHeaders(res) {
      if (isolate) {
        res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
        res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      }
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    },
  });
  const server: Server = createServer((req, res) => files(req, res, () => {
    res.statusCode = 404;
    res.end('not found');
  }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = Number(portAt >= 0 ? args[portAt + 1] : process.env.PORT ?? 8080);
  try {
    const server = await startSiteServer({ port, isolate: !args.includes('--no-isolation') });
    console.log(`FRoD, explorable: ${server.url}  (Ctrl-C stops)`);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
