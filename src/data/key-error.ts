/**
 * A lookup by name failed (the original's KeyError): the name is unknown, or the entry exists but may
 * not be handed out (already acquired, inference-thread only).
 */
export class KeyError extends Error {
  constructor(
    message: string,
    /** The name looked up. */
    readonly key: string,
  ) {
    super(message);
    this.name = 'KeyError';
  }
}
