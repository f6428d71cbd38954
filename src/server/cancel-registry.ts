/**
 * Maps BackendKeyData (process id, secret key) to the session that handed it
 * out, so a CancelRequest arriving on a new connection can reach it.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-CANCELING-REQUESTS
 */
import { randomInt } from 'node:crypto';

export interface CancelKey {
  readonly processId: number;
  readonly secretKey: number;
}

export class CancelRegistry {
  readonly #targets = new Map<number, { secretKey: number; cancel: () => void }>();

  /** Hands out a fresh random key for `cancel`; process ids are unique among live sessions. */
  register(cancel: () => void): CancelKey {
    let processId: number;
    do processId = randomInt(1, 2 ** 31 - 1);
    while (this.#targets.has(processId));
    const secretKey = randomInt(-(2 ** 31), 2 ** 31 - 1);
    this.#targets.set(processId, { secretKey, cancel });
    return { processId, secretKey };
  }

  unregister(key: CancelKey): void {
    this.#targets.delete(key.processId);
  }

  /** Cancels if the key matches; a wrong key is ignored silently, as PostgreSQL does. */
  cancel(key: CancelKey): boolean {
    const target = this.#targets.get(key.processId);
    if (target === undefined || target.secretKey !== key.secretKey) return false;
    target.cancel();
    return true;
  }
}
