// A task module for robo-train (docs/tasks.md): the pendulum swings up, and the reward comes from
// outside, from a number that a camera (or a button, or a person) publishes on an MQTT topic.
//
//   robo-train --sim pendulum --task ./mqtt-reward-task.mjs
//   REWARD_BROKER=mqtt://camera-pi:1883 REWARD_TOPIC=rig/reward robo-train --port /dev/ttyUSB0 --robot my-pendulum --task ./mqtt-reward-task.mjs
//
// robo-train imports this file as it is (plain JavaScript, an ES module). Its imports resolve from
// its own folder: run `npm install mqtt` beside it.
import mqtt from 'mqtt';

const broker = process.env.REWARD_BROKER ?? 'mqtt://localhost:1883';
const topic = process.env.REWARD_TOPIC ?? 'rig/reward';

/**
 * Called once, before the run starts, with the robot's calibration and { episodeSteps } (when
 * --episode-steps was given). Returns the task; it may be async, as here: the run waits for the
 * first reward, so that no step is scored before the camera has spoken.
 */
export default async function createTask(robot, options) {
  if (robot.joints.length !== 1 || robot.commandMode !== 'effort') {
    throw new Error(`needs a one-joint robot driven by effort; '${robot.robot}' is not one`);
  }
  const client = await mqtt.connectAsync(broker);
  let latest = null; // { value, receivedMs }
  const first = new Promise((resolve) => client.once('message', resolve));
  client.on('message', (_topic, payload) => {
    const value = Number(payload.toString());
    if (Number.isFinite(value)) latest = { value, receivedMs: Date.now() };
  });
  await client.subscribeAsync(topic);
  await first;
  const maxVelocity = robot.joints[0].limits.maxVelocityRadS;

  return {
    name: 'camera-swingup',
    obsDim: 3,
    episodeSteps: options.episodeSteps ?? 200,

    // Where an episode starts: hanging down, at rest (the twin is put there; a real robot is homed).
    beginEpisode(rng) {
      return { positionRad: [Math.PI + rng.uniformIn(-0.1, 0.1)], velocityRadS: null };
    },

    // The observation, written into `out` (obsDim numbers, about [-1, 1]).
    observe(state, _previousAction, out) {
      const angle = state.positionRad[0];
      out[0] = Math.cos(angle);
      out[1] = Math.sin(angle);
      out[2] = state.velocityRadS[0] / maxVelocity;
    },

    // The reward of the step that just ended: the camera's latest number.
    reward() {
      return latest.value;
    },

    // How old that number is [s]: stored with every step (steps.reward_age_s).
    rewardAgeS() {
      return (Date.now() - latest.receivedMs) / 1000;
    },

    isTerminal() {
      return false;
    },

    // Stored with the run (runs.config), beside the module's path.
    describe() {
      return { topic, episodeSteps: this.episodeSteps };
    },

    // The end of the run, however it ends.
    close() {
      return client.endAsync();
    },
  };
}
