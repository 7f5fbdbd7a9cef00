/**
 * The run database's schema, as an append-only list of migrations. `PRAGMA user_version` holds the
 * number of migrations applied; opening a database applies the missing ones in one transaction each.
 * Never edit a migration that has shipped: add a new one.
 *
 * Arrays (observations, actions, joint readings) are stored as little-endian float32 BLOBs
 * (`codec.ts`), 4 bytes a value. Times are ISO-8601 UTC text for wall clocks and seconds (REAL) for
 * device clocks. The views answer the common questions in one SELECT; the README shows them.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: runs, episodes, steps, events, and the views the README documents.
  `
  CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    ended_at        TEXT,
    status          TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted', 'failed', 'crashed')),
    exit_reason     TEXT,
    source          TEXT NOT NULL CHECK (source IN ('hardware', 'sim', 'replay')),
    robot           TEXT NOT NULL,
    task            TEXT NOT NULL,
    algo            TEXT NOT NULL,
    noise           TEXT NOT NULL,
    noise_interval  INTEGER NOT NULL,
    seed            INTEGER NOT NULL,
    sweep           TEXT,
    joint_names     TEXT NOT NULL,   -- JSON array: joints of position/velocity (driven first); actions and commands list the driven ones
    config          TEXT NOT NULL,   -- JSON: every option of the run, defaults included
    calibration     TEXT NOT NULL,   -- JSON: the calibration file as loaded
    code_version    TEXT NOT NULL,
    host            TEXT NOT NULL,
    pid             INTEGER NOT NULL,
    heartbeat_at    TEXT NOT NULL    -- refreshed while the run writes; stale + dead pid = crashed
  );

  CREATE TABLE episodes (
    run_id              INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    episode             INTEGER NOT NULL,
    started_at          TEXT NOT NULL,
    ended_at            TEXT,
    evaluation          INTEGER NOT NULL DEFAULT 0,
    steps               INTEGER NOT NULL DEFAULT 0,
    return              REAL,
    termination         TEXT CHECK (termination IN ('terminated', 'truncated', 'aborted', 'interrupted')),
    reason              TEXT,
    continuity_cost     REAL,           -- 100 * mean_t mean_j (Δc / range)^2 of the applied commands (after safety)
    raw_continuity_cost REAL,           -- the same of the policy's raw actions (before safety), as in the gSDE paper
    continuity_per_joint TEXT,          -- JSON array [joints]
    mean_squared_jerk   REAL,           -- of the applied commands, joint units/s^3 squared
    high_freq_share     REAL,           -- share of command energy above the cut-off frequency
    safety_clipped_steps INTEGER NOT NULL DEFAULT 0,
    safety_clips        TEXT,           -- JSON object: limit name -> steps clipped by it
    seconds             REAL,           -- wall-clock duration
    PRIMARY KEY (run_id, episode)
  ) WITHOUT ROWID;

  CREATE TABLE steps (
    run_id        INTEGER NOT NULL,
    episode       INTEGER NOT NULL,
    step          INTEGER NOT NULL,
    device_time_s REAL NOT NULL,
    position      BLOB NOT NULL,   -- float32[joints], rad: the reading the action answered
    velocity      BLOB NOT NULL,   -- float32[joints], rad/s
    obs           BLOB NOT NULL,   -- float32[obs_dim]
    raw_action    BLOB NOT NULL,   -- float32[joints], policy output in [-1, 1]
    noise         BLOB NOT NULL,   -- float32[joints], what exploration added to the action
    command       BLOB NOT NULL,   -- float32[joints], applied command in joint units (after safety)
    reward        REAL,            -- reward of the transition (NULL for the last step of an aborted episode)
    flags         INTEGER NOT NULL DEFAULT 0,  -- bit set, see STEP_FLAGS in src/core/step-sink.ts
    PRIMARY KEY (run_id, episode, step)
  ) WITHOUT ROWID;

  CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    episode   INTEGER,
    step      INTEGER,
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,   -- fault, estop, estop_clear, reconnect, watchdog, safety, checkpoint, store, info
    detail    TEXT NOT NULL
  );
  CREATE INDEX events_by_run ON events(run_id, kind);

  CREATE VIEW run_summary AS
  SELECT r.id AS run, r.name, r.status, r.source, r.robot, r.task, r.algo, r.noise, r.noise_interval AS interval,
         r.seed, r.sweep, r.started_at, r.ended_at,
         COUNT(e.episode) AS episodes,
         COALESCE(SUM(e.steps), 0) AS steps,
         AVG(e.return) AS mean_return,
         AVG(e.continuity_cost) AS mean_continuity_cost,
         AVG(e.raw_continuity_cost) AS mean_raw_continuity_cost,
         COALESCE(SUM(e.safety_clipped_steps), 0) AS clipped_steps
  FROM runs r LEFT JOIN episodes e ON e.run_id = r.id AND e.evaluation = 0
  GROUP BY r.id;

  CREATE VIEW episode_summary AS
  SELECT e.run_id AS run, e.episode, e.evaluation, e.steps, e.return, e.continuity_cost, e.raw_continuity_cost, e.mean_squared_jerk,
         e.high_freq_share, e.safety_clipped_steps, e.termination, e.reason, e.started_at, e.seconds,
         r.robot, r.noise, r.noise_interval AS interval, r.source
  FROM episodes e JOIN runs r ON r.id = e.run_id;

  CREATE VIEW recent_events AS
  SELECT ev.run_id AS run, ev.episode, ev.step, ev.at, ev.kind, ev.detail, r.robot
  FROM events ev JOIN runs r ON r.id = ev.run_id
  ORDER BY ev.id DESC;

  -- One row per ended episode: training steps so far (the x axis of a learning curve), the return and
  -- its mean over the last 10 episodes of the same kind (training or evaluation).
  CREATE VIEW learning_curve AS
  SELECT run_id AS run, episode, evaluation,
         SUM(CASE WHEN evaluation = 0 THEN steps ELSE 0 END) OVER (PARTITION BY run_id ORDER BY episode) AS training_steps,
         return,
         AVG(return) OVER (PARTITION BY run_id, evaluation ORDER BY episode ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS return_mean10,
         raw_continuity_cost, continuity_cost, safety_clipped_steps
  FROM episodes
  WHERE ended_at IS NOT NULL;

  -- Safety interventions: one row per episode and limit that changed at least one command.
  CREATE VIEW interventions AS
  SELECT e.run_id AS run, e.episode, e.evaluation, c.key AS limit_name, c.value AS steps, e.steps AS episode_steps
  FROM episodes e, json_each(e.safety_clips) c
  WHERE e.safety_clips IS NOT NULL;

  -- Smoothness of each run, as means over its ended training episodes: what to compare across
  -- exploration noises, and between a robot and its twin.
  CREATE VIEW run_smoothness AS
  SELECT r.id AS run, r.source, r.robot, r.task, r.algo, r.noise, r.noise_interval AS interval,
         COUNT(e.episode) AS episodes,
         COALESCE(SUM(e.steps), 0) AS steps,
         AVG(e.return) AS mean_return,
         AVG(e.raw_continuity_cost) AS raw_continuity_cost,
         AVG(e.continuity_cost) AS continuity_cost,
         AVG(e.mean_squared_jerk) AS mean_squared_jerk,
         AVG(e.high_freq_share) AS high_freq_share,
         1.0 * SUM(e.safety_clipped_steps) / NULLIF(SUM(e.steps), 0) AS clipped_share
  FROM runs r LEFT JOIN episodes e ON e.run_id = r.id AND e.evaluation = 0 AND e.ended_at IS NOT NULL
  GROUP BY r.id;
  `,
  // 2: wear telemetry that servo buses report (per step and per episode), and a view of it per run.
  `
  ALTER TABLE steps ADD COLUMN current BLOB;      -- float32[joints], A; NULL when the robot reports no telemetry
  ALTER TABLE steps ADD COLUMN load BLOB;         -- float32[joints], signed fraction of the servo's maximum torque
  ALTER TABLE steps ADD COLUMN temperature BLOB;  -- float32[joints], °C
  ALTER TABLE steps ADD COLUMN voltage BLOB;      -- float32[joints], V at the servo
  ALTER TABLE episodes ADD COLUMN mean_abs_current_a REAL;  -- mean over steps and joints of |current|
  ALTER TABLE episodes ADD COLUMN mean_abs_load REAL;       -- mean over steps and joints of |load|
  ALTER TABLE episodes ADD COLUMN peak_temperature_c REAL;  -- highest temperature of any joint
  ALTER TABLE episodes ADD COLUMN min_voltage_v REAL;       -- lowest input voltage of any joint (sag under load)
  ALTER TABLE episodes ADD COLUMN energy_j REAL;            -- Σ over steps and joints of V·|I|·period: electrical energy proxy

  CREATE VIEW run_wear AS
  SELECT r.id AS run,
         COUNT(e.episode) AS episodes,
         AVG(e.mean_abs_current_a) AS mean_abs_current_a,
         AVG(e.mean_abs_load) AS mean_abs_load,
         MAX(e.peak_temperature_c) AS peak_temperature_c,
         MIN(e.min_voltage_v) AS min_voltage_v,
         SUM(e.energy_j) AS energy_j,
         SUM(e.energy_j) / NULLIF(SUM(CASE WHEN e.energy_j IS NOT NULL THEN e.steps END), 0) AS energy_j_per_step
  FROM runs r LEFT JOIN episodes e ON e.run_id = r.id AND e.evaluation = 0 AND e.ended_at IS NOT NULL
  GROUP BY r.id;
  `,
  // 3: runs in which a trained policy drove the robot without learning (`robo-train run`).
  `
  ALTER TABLE runs ADD COLUMN learning INTEGER NOT NULL DEFAULT 1;  -- 0: no learner ran; the actor of policy_checkpoint acted
  ALTER TABLE runs ADD COLUMN policy_checkpoint TEXT;               -- the checkpoint.json whose actor drove the robot (learning 0)
  `,
  // 4: how old the outside signal a task module took its reward from was (docs/tasks.md).
  `
  ALTER TABLE steps ADD COLUMN reward_age_s REAL;  -- s; NULL when the reward comes from the joint readings alone
  `,
  // 5: fleet learners (docs/fleet.md): the learner's progress and each robot's, as of its latest checkpoint.
  `
  CREATE TABLE fleet_learners (
    fleet         TEXT PRIMARY KEY,
    algo          TEXT NOT NULL,
    obs_dim       INTEGER NOT NULL,
    action_dim    INTEGER NOT NULL,
    updates       INTEGER NOT NULL,   -- gradient steps taken
    transitions   INTEGER NOT NULL,   -- transitions ingested from every robot
    updated_at    TEXT NOT NULL
  );
  CREATE TABLE fleet_robots (
    fleet           TEXT NOT NULL REFERENCES fleet_learners(fleet),
    robot           TEXT NOT NULL,
    transitions     INTEGER NOT NULL,
    missed_batches  INTEGER NOT NULL,  -- batches numbered by the robot that never arrived
    policy_lag      INTEGER NOT NULL,  -- learner updates minus the weights version of the robot's latest batch
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (fleet, robot)
  );
  `,
  // 6: how much each episode explored: the size of the noise, and parameter noise's σ and action distance d.
  `
  ALTER TABLE episodes ADD COLUMN mean_abs_noise REAL;   -- mean over steps and joints of |exploratory − deterministic action| (action units)
  ALTER TABLE episodes ADD COLUMN param_std REAL;        -- parameter noise: σ of the weight perturbation at the episode's end
  ALTER TABLE episodes ADD COLUMN param_distance REAL;   -- parameter noise: last measured action distance d (adaptive σ only)
  `,
  // 7: each fleet robot's update-to-data ratio (docs/fleet.md).
  `
  ALTER TABLE fleet_robots ADD COLUMN update_to_data REAL;  -- learner updates since the robot's first batch ÷ its transitions; NULL: unknown
  `,
];
