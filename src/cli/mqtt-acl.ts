import type { Argv } from 'yargs';
import { mosquittoAcl, mosquittoFleetAcl } from '../transport/mqtt-acl.js';
import { checkFleetName, fleetTopics } from '../training/fleet-wire.js';
import { UsageError } from '../util/errors.js';
import { EXIT } from './exit-codes.js';

export function withMqttAclOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('robot', {
      type: 'string',
      requiresArg: true,
      describe: 'robot id (its MQTT topics); with --fleet: robot names, comma-separated',
    })
    .option('fleet', {
      type: 'string',
      requiresArg: true,
      describe: "a fleet's ACL instead: the learner publishes weights, each robot its transitions",
    })
    .option('learner-user', { type: 'string', default: 'learner', requiresArg: true, describe: "--fleet: the learner's broker user" })
    .option('host-user', { type: 'string', default: 'robo-train', requiresArg: true, describe: "the training daemon's broker user" })
    .option('device-user', { type: 'string', requiresArg: true, describe: "the robot's broker user (default: the robot id)" });
}

/** `robo-train mqtt-acl`: prints a mosquitto ACL file for one robot (append several for several robots). */
export function mqttAclCommand(args: {
  robot?: string;
  hostUser: string;
  deviceUser?: string;
  fleet?: string;
  learnerUser: string;
}): number {
  if (args.robot === undefined) throw new UsageError('mqtt-acl needs --robot NAME (with --fleet: the robots, comma-separated)');
  if (args.fleet !== undefined) {
    checkFleetName(args.fleet);
    const topics = fleetTopics(args.fleet);
    const robots = args.robot.split(',').map((name) => name.trim());
    process.stdout.write(
      mosquittoFleetAcl({ weightsTopic: topics.weights, transitionsTopic: topics.transitions, learnerUser: args.learnerUser, robots }),
    );
    return EXIT.ok;
  }
  process.stdout.write(mosquittoAcl({ robotId: args.robot, hostUser: args.hostUser, deviceUser: args.deviceUser ?? args.robot }));
  return EXIT.ok;
}
