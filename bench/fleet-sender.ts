/**
 * The flood half of `npm run bench -- fleet`, run as a child process so that it does not share the
 * learner's event loop: publishes `BATCHES` numbered batches of 32 made-up transitions of the reach
 * task's shapes (8 observations, 2 actions) for robot `ROBOT` at QoS 1, `IN_FLIGHT` unacknowledged at
 * most, as fast as the broker acknowledges them. Arguments: URL FLEET ROBOT BATCHES.
 */
import { encodeTransitionBatch, fleetTopics } from '../src/training/fleet-wire.js';
import { MqttBytesClient } from '../src/transport/mqtt-bytes.js';
import { FLOOD_SHAPES } from './fleet.js';

const IN_FLIGHT = 64;

const [url, fleet, robot, batches] = process.argv.slice(2);
const client = await MqttBytesClient.connect({ url, clientId: `bench-sender-${robot}`, sessionExpiryS: 0 }, () => undefined);
const topic = fleetTopics(fleet).transitions(robot);
const { obsDim, actionDim, rows } = FLOOD_SHAPES;
const values = (length: number): Float32Array => Float32Array.from({ length }, () => Math.random() * 2 - 1);
const arrays = {
  obs: values(rows * obsDim),
  action: values(rows * actionDim),
  reward: values(rows),
  nextObs: values(rows * obsDim),
  terminated: new Float32Array(rows),
};
const inFlight = new Set<Promise<void>>();
for (let seq = 0; seq < Number(batches); seq++) {
  const batch = encodeTransitionBatch({ robot, seq, weightsVersion: 0, count: rows, obsDim, actionDim, episodeEnds: 0, ...arrays });
  const sent: Promise<void> = client.publish(topic, batch, false).finally(() => inFlight.delete(sent));
  inFlight.add(sent);
  if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
}
await Promise.all(inFlight);
await client.close();
