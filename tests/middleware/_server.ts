/**
 * Serves a fetch handler on loopback with the runtime's own server (`Bun.serve` or
 * `Deno.serve`) — the one place these tests branch on the runtime.
 */

/** A running server. */
export interface TestServer {
  url: string;
  close(): Promise<void>;
}

type Handler = (req: Request) => Response | Promise<Response>;

interface BunLike {
  serve(o: { port: number; hostname: string; fetch: Handler }): {
    port: number;
    stop(force?: boolean): Promise<void> | void;
  };
}

/** Starts `handler` on 127.0.0.1 with an ephemeral port. */
export function serve(handler: Handler): Promise<TestServer> {
  const bun = (globalThis as { Bun?: BunLike }).Bun;
  if (bun !== undefined) {
    const server = bun.serve({ port: 0, hostname: "127.0.0.1", fetch: handler });
    return Promise.resolve({
      url: `http://127.0.0.1:${server.port}`,
      close: async () => {
        await server.stop(true);
      },
    });
  }
  return new Promise((resolve) => {
    const server = Deno.serve({
      port: 0,
      hostname: "127.0.0.1",
      onListen: ({ port }) => {
        resolve({
          url: `http://127.0.0.1:${port}`,
          close: async () => {
            await server.shutdown();
          },
        });
      },
    }, handler);
  });
}
