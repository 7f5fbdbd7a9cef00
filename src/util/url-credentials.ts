/**
 * Credentials never leave the process: a URL is stored (run database, checkpoint) without its
 * password. The user name stays: it is no secret (brokers log it), and with it a resumed run gets
 * its password back from the environment (`ROBO_TRAIN_MQTT_PASSWORD`) or from the URL given again.
 */

/** `url` without its password (`mqtts://robot:secret@host:8883` → `mqtts://robot@host:8883`); a string that is no URL is returned as it is. */
export function withoutPassword(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (!parsed.password) return url;
  parsed.password = '';
  return parsed.toString().replace(/\/$/, '');
}
