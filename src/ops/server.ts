/**
 * The web API over HTTP (Fastify): PAMIQ-Core's control endpoints with the same paths, methods, status
 * codes and bodies, plus `?wait=1`, `/api/states`, `/api/info` and `/metrics`. Every error is a JSON
 * `{ "error": … }`; nothing a client sends can stop the system, and no handler holds up the loops.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { getLogger } from '../log.js';
import type { CommandOutcome, CommandQueue, ControlCommand } from './commands.js';
import { statusName, type SystemStatus } from './status.js';

const log = getLogger('ops.api');

export const RESULT_OK = { result: 'ok' } as const;
export const ERROR_QUEUE_FULL = { error: 'Command queue is full, try again later' } as const;
export const ERROR_INVALID_ENDPOINT = { error: 'Invalid API endpoint' } as const;
export const ERROR_INVALID_METHOD = { error: 'Invalid API method' } as const;
export const ERROR_INTERNAL = { error: 'Internal server error' } as const;
export const ERROR_SHUTTING_DOWN = { error: 'The system is shutting down' } as const;
export const ERROR_UNAUTHORIZED = { error: 'Missing or invalid bearer token' } as const;

/** Largest request body accepted (bodies are ignored; this only bounds what a client can send). */
export const BODY_LIMIT = 16 * 1024;

export interface ApiSources {
  queue: CommandQueue;
  status(): SystemStatus;
  info(): unknown;
  states(): Promise<unknown>;
  metrics(): Promise<{ contentType: string; text: string }>;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
}

const ALL_METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'] as const;

const errorBody = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] } as const;

const commandSchema = {
  querystring: {
    type: 'object',
    properties: { wait: { type: 'string', enum: ['', '0', '1', 'false', 'true'] } },
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      properties: { result: { type: 'string' }, path: { type: 'string' } },
      required: ['result'],
    },
    '4xx': errorBody,
    '5xx': errorBody,
  },
} as const;

const statusSchema = {
  response: {
    200: {
      type: 'object',
      properties: { status: { type: 'integer' }, name: { type: 'string' } },
      required: ['status', 'name'],
    },
    '5xx': errorBody,
  },
} as const;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Builds the app (not listening yet). */
export function buildApi(src: ApiSources): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    // A client that trickles its request in is cut off instead of holding a socket forever.
    requestTimeout: 30_000,
    return503OnClosing: true,
  });

  const tokenDigest = src.token === undefined ? undefined : digest(src.token);
  if (tokenDigest) {
    app.addHook('onRequest', async (req, reply) => {
      const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
      if (!m || !timingSafeEqual(digest(m[1]!.trim()), tokenDigest)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send(ERROR_UNAUTHORIZED);
      }
    });
  }

  app.setNotFoundHandler((_req, reply) => reply.code(404).send(ERROR_INVALID_ENDPOINT));
  app.setErrorHandler((err: { statusCode?: number; message?: string }, req, reply) => {
    const code = err.statusCode ?? 500;
    if (code >= 500) {
      log.error(`${req.method} ${req.url} failed: ${err.message}`);
      return reply.code(500).send(ERROR_INTERNAL);
    }
    return reply.code(code).send({ error: err.message ?? 'Bad request' });
  });

  /** Registers `allowed` on `url`, and 405 for every other method. */
  const route = (
    url: string,
    allowed: 'GET' | 'POST',
    handler: (req: FastifyRequest, reply: FastifyReply) => unknown,
    schema?: object,
  ) => {
    app.route({ method: allowed, url, handler, schema, exposeHeadRoute: false });
    app.route({
      method: ALL_METHODS.filter((m) => m !== allowed),
      url,
      handler: (_req, reply) => reply.code(405).header('allow', allowed).send(ERROR_INVALID_METHOD),
    });
  };

  route(
    '/api/status',
    'GET',
    (_req, reply) => {
      let status: SystemStatus;
      try {
        status = src.status();
      } catch (err) {
        log.error(`Error getting the system status: ${err instanceof Error ? err.message : String(err)}`);
        return reply.code(500).send(ERROR_INTERNAL);
      }
      return { status, name: statusName(status) };
    },
    statusSchema,
  );

  const commands: [string, ControlCommand][] = [
    ['/api/pause', 'pause'],
    ['/api/resume', 'resume'],
    ['/api/shutdown', 'shutdown'],
    ['/api/save-state', 'save-state'],
  ];
  for (const [url, command] of commands) {
    route(
      url,
      'POST',
      async (req, reply) => {
        const wait = ['1', 'true', ''].includes((req.query as { wait?: string }).wait ?? '0');
        log.info(`${command} command received${wait ? ' (waiting for its outcome)' : ''}`);
        if (src.queue.isClosed) return reply.code(503).send(ERROR_SHUTTING_DOWN);
        let settle!: (o: CommandOutcome) => void;
        const outcome = new Promise<CommandOutcome>((r) => (settle = r));
        if (!src.queue.offer(command, wait ? settle : undefined)) {
          if (src.queue.isClosed) return reply.code(503).send(ERROR_SHUTTING_DOWN);
          log.error(`Command queue is full, rejecting ${command}`);
          return reply.code(503).send(ERROR_QUEUE_FULL);
        }
        if (!wait) return RESULT_OK;
        const o = await outcome;
        if (o.ok) return o.path === undefined ? RESULT_OK : { result: 'ok', path: o.path };
        return reply.code(o.error === ERROR_SHUTTING_DOWN.error ? 503 : 500).send({ error: o.error });
      },
      commandSchema,
    );
  }

  route('/api/info', 'GET', () => src.info());
  route('/api/states', 'GET', () => src.states());
  route('/metrics', 'GET', async (_req, reply) => {
    const m = await src.metrics();
    return reply.header('content-type', m.contentType).send(m.text);
  });

  return app;
}
