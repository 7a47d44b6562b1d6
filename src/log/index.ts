/**
 * `pamiq-core/log`: the library's pino logger — where it writes, in which format and at which level,
 * loggers for your own components, and capturing the lines (for tests).
 */
export {
  getLogger,
  setLogDestination,
  setLogLevel,
  getLogLevel,
  setLogFormat,
  getLogFormat,
  useLogger,
  captureLogs,
  type Logger,
  type LogDestination,
  type LogFormat,
} from '../log.js';
