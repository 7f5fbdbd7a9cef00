/**
 * A mosquitto ACL file (mosquitto.conf(5), `acl_file`) for one robot: its host user may only publish
 * commands, control messages and its status, and read what the device sends; its device user the
 * reverse. Nobody else (other users, anonymous clients) may publish or read anything on the robot's
 * topics, so a third client can neither command nor e-stop the robot, spoof a HELLO, nor flood its
 * states. Topics as src/protocol/mqtt.ts names them.
 */
import { mqttTopics } from '../protocol/index.js';
import { UsageError } from '../util/errors.js';

export interface MqttAclOptions {
  robotId: string;
  /** The user name the training daemon connects with. */
  hostUser: string;
  /** The user name the robot (its bridge or firmware) connects with. */
  deviceUser: string;
}

/** mosquitto takes a user name up to the end of the line: no line breaks, no surrounding blanks. */
const USER_NAME = /^[^\s](?:[^\r\n]*[^\s])?$/;

export function mosquittoAcl(options: MqttAclOptions): string {
  const topics = mqttTopics(options.robotId);
  for (const [flag, user] of [
    ['--host-user', options.hostUser],
    ['--device-user', options.deviceUser],
  ] as const) {
    if (!USER_NAME.test(user))
      throw new UsageError(`${flag} '${user}' cannot be a mosquitto user name: no line breaks, no leading or trailing blanks`);
  }
  if (options.hostUser === options.deviceUser) {
    throw new UsageError(`--host-user and --device-user are both '${options.hostUser}': the host and the device need users of their own`);
  }
  const block = (user: string, write: string[], read: string[]): string[] => [
    `user ${user}`,
    ...write.map((topic) => `topic write ${topic}`),
    ...read.map((topic) => `topic read ${topic}`),
  ];
  return [
    `# mosquitto ACL for robot '${options.robotId}' (robo-train mqtt-acl). In mosquitto.conf: allow_anonymous false,`,
    '# password_file (mosquitto_passwd), use_username_as_clientid true (nobody takes over a session by its client id),',
    '# acl_file pointing here. Users and topics not listed get nothing.',
    '# The host (training daemon): commands, control (HELLO, TORQUE, ESTOP ...), its status and Last Will.',
    ...block(options.hostUser, [topics.command, topics.control, topics.hostStatus], [topics.state, topics.event, topics.deviceStatus]),
    '',
    '# The device: states and heartbeats, events (DEVICE_INFO, FAULT, ACK), its status and Last Will.',
    ...block(options.deviceUser, [topics.state, topics.event, topics.deviceStatus], [topics.command, topics.control, topics.hostStatus]),
    '',
  ].join('\n');
}

export interface FleetAclOptions {
  /** Topic names, as src/training/fleet-wire.ts `fleetTopics` makes them. */
  weightsTopic: string;
  transitionsTopic: (robot: string) => string;
  learnerUser: string;
  /** Each robot's daemon connects to the learner's broker as the user named like the robot. */
  robots: string[];
}

/**
 * A mosquitto ACL for a fleet (docs/fleet.md): only the learner publishes weights and reads
 * transitions; each robot publishes only its own transitions and reads the weights.
 */
export function mosquittoFleetAcl(options: FleetAclOptions): string {
  for (const user of [options.learnerUser, ...options.robots]) {
    if (!USER_NAME.test(user))
      throw new UsageError(`'${user}' cannot be a mosquitto user name: no line breaks, no leading or trailing blanks`);
  }
  if (options.robots.includes(options.learnerUser))
    throw new UsageError(`the learner's user '${options.learnerUser}' is also a robot's: the learner needs a user of its own`);
  return [
    '# mosquitto ACL for a robo-train fleet (robo-train mqtt-acl --fleet). In mosquitto.conf: allow_anonymous false,',
    '# password_file (mosquitto_passwd), use_username_as_clientid true, acl_file pointing here.',
    '# The learner: publishes the weights, reads every robot’s transitions.',
    `user ${options.learnerUser}`,
    `topic write ${options.weightsTopic}`,
    `topic read ${options.transitionsTopic('+')}`,
    ...options.robots.flatMap((robot) => [
      '',
      `user ${robot}`,
      `topic write ${options.transitionsTopic(robot)}`,
      `topic read ${options.weightsTopic}`,
    ]),
    '',
  ].join('\n');
}
