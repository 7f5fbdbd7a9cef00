import type { Db } from './database.js';

export interface FleetLearnerRow {
  fleet: string;
  algo: string;
  obsDim: number;
  actionDim: number;
  updates: number;
  transitions: number;
}

export interface FleetRobotRow {
  robot: string;
  transitions: number;
  missedBatches: number;
  policyLag: number;
  /** Learner updates since the robot's first batch per transition it gave; null when unknown. */
  updateToData: number | null;
}

/** Stores a fleet learner's progress and each robot's (one row each, replaced at every checkpoint). */
export function saveFleetProgress(db: Db, learner: FleetLearnerRow, robots: FleetRobotRow[]): void {
  const now = new Date().toISOString();
  db.transaction(() => {
    db.prepare(
      `INSERT INTO fleet_learners (fleet, algo, obs_dim, action_dim, updates, transitions, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (fleet) DO UPDATE SET algo = excluded.algo, obs_dim = excluded.obs_dim, action_dim = excluded.action_dim,
         updates = excluded.updates, transitions = excluded.transitions, updated_at = excluded.updated_at`,
    ).run(learner.fleet, learner.algo, learner.obsDim, learner.actionDim, learner.updates, learner.transitions, now);
    const robot = db.prepare(
      `INSERT INTO fleet_robots (fleet, robot, transitions, missed_batches, policy_lag, update_to_data, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (fleet, robot) DO UPDATE SET transitions = excluded.transitions, missed_batches = excluded.missed_batches,
         policy_lag = excluded.policy_lag, update_to_data = excluded.update_to_data, updated_at = excluded.updated_at`,
    );
    for (const row of robots) robot.run(learner.fleet, row.robot, row.transitions, row.missedBatches, row.policyLag, row.updateToData, now);
  })();
}

export interface FleetSummary {
  fleet: string;
  algo: string;
  updates: number;
  transitions: number;
  robots: number;
  maxPolicyLag: number | null;
  updatedAt: string;
}

/** One line per fleet learner of the database. */
export function listFleets(db: Db): FleetSummary[] {
  return db
    .prepare(
      `SELECT l.fleet, l.algo, l.updates, l.transitions, COUNT(r.robot) AS robots, MAX(r.policy_lag) AS maxPolicyLag, l.updated_at AS updatedAt
       FROM fleet_learners l LEFT JOIN fleet_robots r ON r.fleet = l.fleet GROUP BY l.fleet ORDER BY l.fleet`,
    )
    .all() as FleetSummary[];
}
