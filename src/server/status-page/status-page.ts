/**
 * Assembles the status page from the daemon's parts: the recent errors (fed
 * by the query server's observer and by analytica.status), the sampled
 * history, the board that answers /status.json, and the page's routes for
 * the metrics endpoint.
 */
import type { Logger } from '../../log.js';
import type { TableReading } from '../../observability/daemon-metrics.js';
import { RecentErrors } from '../../observability/recent-errors.js';
import { StatusHistory } from '../../observability/status-history.js';
import type { WorkerActivity } from '../../workers/worker-activity.js';
import type { RouteHandler } from '../metrics-server.js';
import type { QueryFailure, QueryObserver } from '../query-observer.js';
import type { ActivityRow } from '../session-activity.js';
import { StatusBoard } from './status-board.js';
import { statusPageRoutes } from './status-page-routes.js';

export interface StatusPageOptions {
  /** analytica.status of every database (DaemonMetrics.tableStatuses, shared with /metrics). */
  readonly read: () => Promise<TableReading>;
  /** Each database's worker counters. */
  readonly workerActivities: ReadonlyMap<string, WorkerActivity>;
  /** The query server's sessions. */
  readonly sessions: () => readonly ActivityRow[];
  /** --metrics-host. */
  readonly listenHost: string;
  readonly log: Logger;
}

export class StatusPage {
  readonly errors = new RecentErrors();
  #history: StatusHistory | undefined;

  /**
   * `next` (the metrics) is told of every statement; failed ones, and refused logins, are also
   * listed as recent errors.
   */
  observer(next: QueryObserver): QueryObserver {
    const errors = this.errors;
    const list = (failure: QueryFailure) =>
      errors.add({
        at: Date.now(),
        source: { kind: 'session', name: failure.session, database: failure.database },
        sqlState: failure.sqlState,
        message: failure.message,
      });
    return {
      queryFinished: (sqlState, seconds) => next.queryFinished(sqlState, seconds),
      queryFailed(failure: QueryFailure) {
        next.queryFailed?.(failure);
        list(failure);
      },
      loginFailed(failure: QueryFailure) {
        next.loginFailed?.(failure);
        list(failure);
      },
    };
  }

  /** Starts sampling the history and returns the page's routes. */
  async routes(options: StatusPageOptions): Promise<Map<string, RouteHandler>> {
    const history = new StatusHistory({
      read: options.read,
      activities: options.workerActivities,
      log: options.log,
    });
    const board = new StatusBoard({
      read: options.read,
      history,
      errors: this.errors,
      activities: options.sessions,
    });
    const routes = await statusPageRoutes({ board, listenHost: options.listenHost });
    this.#history = history;
    history.start();
    return routes;
  }

  close(): void {
    this.#history?.close();
  }
}
