import type { Argv } from 'yargs';
import { mosquittoAcl } from '../transport/mqtt-acl.js';
import { EXIT } from './exit-codes.js';

export function withMqttAclOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('robot', { type: 'string', demandOption: true, requiresArg: true, describe: 'robot id (its MQTT topics)' })
    .option('host-user', { type: 'string', default: 'robo-train', requiresArg: true, describe: "the training daemon's broker user" })
    .option('device-user', { type: 'string', requiresArg: true, describe: "the robot's broker user (default: the robot id)" });
}

/** `robo-train mqtt-acl`: prints a mosquitto ACL file for one robot (append several for several robots). */
export function mqttAclCommand(args: { robot: string; hostUser: string; deviceUser?: string }): number {
  process.stdout.write(mosquittoAcl({ robotId: args.robot, hostUser: args.hostUser, deviceUser: args.deviceUser ?? args.robot }));
  return EXIT.ok;
}
