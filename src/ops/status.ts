/**
 * The system status reported by `GET /api/status`, with PAMIQ-Core's integer values and display names.
 * OFFLINE is never reported by a server: clients use it when they cannot reach one.
 */
export enum SystemStatus {
  ACTIVE = 1,
  PAUSING = 2,
  PAUSED = 3,
  RESUMING = 4,
  SHUTTING_DOWN = 5,
  OFFLINE = 6,
}

const NAMES: Record<SystemStatus, string> = {
  [SystemStatus.ACTIVE]: 'active',
  [SystemStatus.PAUSING]: 'pausing',
  [SystemStatus.PAUSED]: 'paused',
  [SystemStatus.RESUMING]: 'resuming',
  [SystemStatus.SHUTTING_DOWN]: 'shutting down',
  [SystemStatus.OFFLINE]: 'offline',
};

/** The lowercase display name (`active`, `pausing`, …, `shutting down`, `offline`). */
export function statusName(status: SystemStatus): string {
  return NAMES[status];
}

/** The status for an integer from the wire; undefined for anything else. */
export function statusFromValue(value: unknown): SystemStatus | undefined {
  return typeof value === 'number' && value in NAMES ? (value as SystemStatus) : undefined;
}

/** What the status is derived from. */
export interface StatusInputs {
  shuttingDown: boolean;
  /** Loops and clock paused. */
  paused: boolean;
  /** A pause command is being carried out. */
  pausing: boolean;
  /** A resume command is being carried out. */
  resuming: boolean;
}

/**
 * PAMIQ-Core's rule: SHUTTING_DOWN once shutdown was requested; PAUSING while a pause is under way;
 * PAUSED when paused; RESUMING while a resume is under way; otherwise ACTIVE.
 */
export function deriveStatus(s: StatusInputs): SystemStatus {
  if (s.shuttingDown) return SystemStatus.SHUTTING_DOWN;
  if (s.pausing && !s.paused) return SystemStatus.PAUSING;
  if (s.resuming) return SystemStatus.RESUMING;
  if (s.paused) return SystemStatus.PAUSED;
  return SystemStatus.ACTIVE;
}
