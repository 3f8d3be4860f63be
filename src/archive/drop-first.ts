// A Transform that drops the first `count` bytes: a stream that can only start at 0 made to start at an offset.
import { Transform } from "node:stream";

export function dropFirst(count: number): Transform {
  let left = count;
  return new Transform({
    transform(chunk: Buffer, _enc, done): void {
      if (left >= chunk.length) {
        left -= chunk.length;
        done();
        return;
      }
      const rest = left === 0 ? chunk : chunk.subarray(left);
      left = 0;
      done(null, rest);
    },
  });
}
