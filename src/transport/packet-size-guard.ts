/**
 * Cuts an MQTT connection whose next packet would be larger than a limit, as soon as its fixed
 * header says so (MQTT 3.1.1 § 2.2: one byte of type and flags, then the remaining length in 1 to 4
 * bytes of 7 bits each). The broker's parser would otherwise buffer the whole packet first: a 150 MB
 * retained message took aedes to 426 MB of memory. The size counted is the whole packet, fixed
 * header included, as MQTT 5's Maximum Packet Size counts it (§ 3.1.2.11.4).
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Where the scan stands between chunks. */
type Stage = 'type' | 'length' | 'body';

export class PacketSizeGuard extends Transform {
  private stage: Stage = 'type';
  private length = 0;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxPacketBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const error = this.scan(chunk);
    if (error) callback(error);
    else callback(null, chunk);
  }

  private scan(chunk: Buffer): Error | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.stage === 'type') {
        i++;
        this.stage = 'length';
        this.length = 0;
        this.lengthBytes = 0;
      } else if (this.stage === 'length') {
        const byte = chunk[i++];
        this.length += (byte & 0x7f) * 128 ** this.lengthBytes;
        this.lengthBytes++;
        if (byte & 0x80) {
          if (this.lengthBytes === 4) return new Error('malformed MQTT packet: a remaining length of more than 4 bytes');
          continue;
        }
        const total = 1 + this.lengthBytes + this.length;
        if (total > this.maxPacketBytes) {
          return new Error(`an MQTT packet of ${total} bytes, more than the broker's limit of ${this.maxPacketBytes}`);
        }
        this.remaining = this.length;
        this.stage = this.remaining > 0 ? 'body' : 'type';
      } else {
        const skipped = Math.min(this.remaining, chunk.length - i);
        i += skipped;
        this.remaining -= skipped;
        if (this.remaining === 0) this.stage = 'type';
      }
    }
    return null;
  }
}
